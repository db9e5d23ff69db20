"""The savepoint step on Spark: savepoint the load's upsert commit, drop the ones past the window."""

from __future__ import annotations

from typing import Any, Dict

from . import spark_io
from .cli import SavepointArgs
from .contract import Contract
from .errors import JobFailure
from .hudi import hudi_missing_message
from .rollback import procedure_succeeded, savepoint_sql, show_savepoints_sql, table_identifier
from .savepoint import commit_of_upsert_result, delete_savepoint_sql, plan_savepoints, savepoint_result


def run_savepoint(spark: Any, args: SavepointArgs, contract: Contract) -> Dict[str, Any]:
    if spark_io.hudi_table_version(spark) is None:
        raise JobFailure(hudi_missing_message())
    commit = commit_of_upsert_result(spark_io.read_text(spark, args.upsert_result), args.upsert_result, args.load_id)
    table = table_identifier(args.database, contract.name)
    existing = [str(r["savepoint_time"]) for r in spark.sql(show_savepoints_sql(table)).collect() if r["savepoint_time"]]
    plan = plan_savepoints(existing, commit, args.keep)
    if plan.create and not procedure_succeeded(spark.sql(savepoint_sql(table, commit)).collect()):
        raise JobFailure(f"{table}: create_savepoint of commit {commit} returned false (Hudi refused; see the driver log)")
    for old in plan.delete:
        if not procedure_succeeded(spark.sql(delete_savepoint_sql(table, old)).collect()):
            raise JobFailure(f"{table}: delete_savepoint of {old} returned false (see the driver log)")
    return savepoint_result(args.load_id, contract.name, plan, args.keep)
