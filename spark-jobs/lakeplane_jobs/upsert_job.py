"""The upsert phase on Spark: Hudi upsert of the staged rows into Silver, then read the commit back.

A staged row with no record key (a key field null) is never written: the quality gate stops a
batch with such rows (the contract's implicit not-null expectations on the key fields), and if
one gets here anyway (the gate bypassed) the step fails before writing anything.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

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
    commit_counts,
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
    staged.write.format("hudi").options(**options).mode("append").save(base)
    fresh = new_writes(before, timeline(spark, base))

    candidates: List[Tuple[TimelineEntry, Dict[str, Any]]] = []
    for entry in fresh:
        candidates.append((entry, decode_commit_metadata(spark_io.read_bytes(spark, instant_file_uri(base, entry)))))
    chosen = choose_commit(candidates, args.load_id)
    if chosen is None:
        raise JobFailure(f"{contract.name}: the Hudi upsert finished but left no new commit on the timeline of {base}")
    entry, metadata = chosen
    return upsert_result(args.load_id, contract.name, entry.instant, commit_counts(metadata))
