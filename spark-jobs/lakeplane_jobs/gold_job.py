"""The gold phase on Spark: run each gold SQL over Silver and switch its Glue table to the new data."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import spark_io
from .cli import GoldArgs
from .contract import Contract
from .errors import JobFailure
from .gold import (
    create_database_sql,
    create_table_sql,
    drop_table_sql,
    gold_table_uri,
    qualified,
    run_dir_name,
    runs_to_delete,
    set_location_sql,
    table_action,
)
from .hudi import hudi_missing_message
from .paths import join_uri
from .results import gold_result
from .sql_refs import rewrite_table_refs
from .upsert_job import detect_hudi_line


def existing_columns(spark: Any, database: str, table: str) -> Optional[List[Tuple[str, str]]]:
    if not spark.catalog.tableExists(table, database):
        return None
    return [(c.name, c.dataType) for c in spark.catalog.listColumns(table, database)]


def register(spark: Any, database: str, table: str, columns: Sequence[Tuple[str, str]], location: str) -> str:
    action = table_action(existing_columns(spark, database, table), columns)
    if action == "set_location":
        spark.sql(set_location_sql(database, table, location))
    else:
        if action == "replace":
            spark.sql(drop_table_sql(database, table))
        spark.sql(create_table_sql(database, table, columns, location))
    try:
        spark.catalog.refreshTable(qualified(database, table))
    except Exception:
        pass
    return action


def ensure_database(spark: Any, database: str) -> None:
    """Creates the Gold database when the metastore lacks it. The deployed stack creates it in
    Glue (scripts/lake-formation.cjs), so on EMR this is one lookup; a fresh local metastore has
    only what the upserts' Hive sync created (the Silver database)."""
    if not spark.catalog.databaseExists(database):
        spark.sql(create_database_sql(database))


def run_gold(spark: Any, args: GoldArgs, contract: Contract, now: Optional[dt.datetime] = None) -> Dict[str, Any]:
    if contract.gold:
        detected = detect_hudi_line(spark)
        if detected is None:
            raise JobFailure(hudi_missing_message())
        ensure_database(spark, args.gold_database)
    databases = {"silver": args.silver_database, "gold": args.gold_database}
    now = now or dt.datetime.now(dt.timezone.utc)
    tables: List[Tuple[str, int]] = []
    for g in contract.gold:
        sql, _ = rewrite_table_refs(g.sql, databases)
        table_uri = gold_table_uri(args.gold_path, g.name)
        run = run_dir_name(args.load_id, now)
        run_uri = join_uri(table_uri, run) + "/"
        spark.sql(sql).write.mode("overwrite").parquet(run_uri)
        written = spark.read.parquet(run_uri)
        rows = written.count()
        columns = [(f.name, f.dataType.simpleString()) for f in written.schema.fields]
        register(spark, args.gold_database, g.name, columns, run_uri)
        for old in runs_to_delete(spark_io.list_names(spark, table_uri, directories=True), run):
            spark_io.delete(spark, join_uri(table_uri, old))
        tables.append((g.name, rows))
    return gold_result(args.load_id, contract.name, tables)
