"""The upsert phase on Spark: Hudi upsert of the staged rows into Silver, then read the commit back.

The counts are each staged record's outcome against Silver as it was before the write (the README's
contract rule, which the DuckDB engine follows too): ``inserted`` a key Silver did not have,
``updated`` a key whose row the record replaced (its precombine value not older than Silver's,
whether or not a column changed, a partition move included), ``deleted`` a key a CDC delete
removed; a stale record and a delete of a key Silver does not have count in none. Hudi's own write
statistics are not used for them: they count a partition move as an insert plus a delete, and a
delete of an unknown key as an insert plus a delete or as a delete alone depending on whether an
existing file of its partition took it (measured on Hudi 1.0.2, docs/spark-engine.md).

A staged row with no record key (a key field null) is never written: the quality gate stops a
batch with such rows (the contract's implicit not-null expectations on the key fields), and if
one gets here anyway (the gate bypassed) the step fails before writing anything.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from . import spark_io
from .cli import UpsertArgs
from .contract import Contract
from .dedupe import null_key_condition
from .errors import JobFailure
from .hudi import (
    DELETE_COLUMN,
    TIMELINE_DIRS,
    TimelineEntry,
    choose_commit,
    completed_writes,
    decode_commit_metadata,
    delete_flag_expression,
    hudi_line_for_table_version,
    hudi_line_mismatch,
    hudi_write_options,
    instant_file_uri,
    new_writes,
)
from .paths import join_uri
from .results import upsert_result


def keyless_message(contract: Contract, count: int) -> str:
    """Why the upsert refuses a staged batch with ``count`` rows that have no record key."""
    what = "1 staged record has" if count == 1 else f"{count} staged records have"
    return (
        f"{contract.name}: {what} no record key (a null {' or '.join(contract.key)}); the quality gate "
        "must stop such a batch before the upsert, and nothing was written to Silver"
    )


def detect_hudi_line(spark: Any) -> Any:
    version = spark_io.hudi_table_version(spark)
    return None if version is None else hudi_line_for_table_version(version)


def timeline(spark: Any, base_path: str) -> List[TimelineEntry]:
    names: List[str] = []
    for d in TIMELINE_DIRS:
        names += spark_io.list_names(spark, join_uri(base_path, d), directories=False)
    return completed_writes(names)


STAGED_VIEW = "__lp_upsert_staged"
SILVER_VIEW = "__lp_upsert_silver"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def outcome_counts_sql(contract: Contract, has_silver: bool) -> str:
    """The counts of the module docstring over the views ``STAGED_VIEW`` (the staged rows, with
    ``_hoodie_is_deleted`` on a CDC dataset) and ``SILVER_VIEW`` (Silver's keys and precombine)."""
    is_delete = f"s.{_q(DELETE_COLUMN)}" if contract.cdc is not None else "false"
    if not has_silver:
        return f"SELECT count_if(NOT {is_delete}) AS inserted, 0 AS updated, 0 AS deleted FROM {STAGED_VIEW} s"
    pc = _q(contract.precombine)
    on = " AND ".join(f"s.{_q(k)} = t.{_q(k)}" for k in contract.key)
    first = f"t.{_q(contract.key[0])}"
    newer = f"s.{pc} >= t.{pc}"
    return (
        "SELECT "
        f"count_if({first} IS NULL AND NOT {is_delete}) AS inserted, "
        f"count_if({first} IS NOT NULL AND {newer} AND NOT {is_delete}) AS updated, "
        f"count_if({first} IS NOT NULL AND {newer} AND {is_delete}) AS deleted "
        f"FROM {STAGED_VIEW} s LEFT JOIN {SILVER_VIEW} t ON {on}"
    )


def outcome_counts(spark: Any, contract: Contract, staged: Any, silver_path: Optional[str]) -> Dict[str, int]:
    """Counts the staged records' outcomes before the write; ``silver_path`` None: no table yet."""
    staged.createOrReplaceTempView(STAGED_VIEW)
    if silver_path is not None:
        columns = [*contract.key, contract.precombine]
        spark.read.format("hudi").load(silver_path).select(*columns).createOrReplaceTempView(SILVER_VIEW)
    row = spark.sql(outcome_counts_sql(contract, silver_path is not None)).first()
    return {k: int(row[k]) for k in ("inserted", "updated", "deleted")}


def run_upsert(spark: Any, args: UpsertArgs, contract: Contract) -> Dict[str, Any]:
    from pyspark.sql import functions as F

    problem = hudi_line_mismatch(args.hudi_version, detect_hudi_line(spark))
    if problem:
        raise JobFailure(problem)

    staged = spark.read.parquet(args.staging)
    if not staged.take(1):
        return upsert_result(args.load_id, contract.name, "", {})
    keyless = staged.filter(F.expr(null_key_condition(contract.key))).count()
    if keyless:
        raise JobFailure(keyless_message(contract, keyless))
    expression = delete_flag_expression(contract)
    if expression is not None:
        staged = staged.withColumn(DELETE_COLUMN, F.expr(expression))

    options = hudi_write_options(contract, args.database, args.hudi_version, args.load_id)
    base = args.silver_path.rstrip("/")
    before = timeline(spark, base)
    counts = outcome_counts(spark, contract, staged, base if before else None)
    staged.write.format("hudi").options(**options).mode("append").save(base)
    fresh = new_writes(before, timeline(spark, base))

    candidates: List[Tuple[TimelineEntry, Dict[str, Any]]] = []
    for entry in fresh:
        candidates.append((entry, decode_commit_metadata(spark_io.read_bytes(spark, instant_file_uri(base, entry)))))
    chosen = choose_commit(candidates, args.load_id)
    if chosen is None:
        raise JobFailure(f"{contract.name}: the Hudi upsert finished but left no new commit on the timeline of {base}")
    return upsert_result(args.load_id, contract.name, chosen[0].instant, counts)
