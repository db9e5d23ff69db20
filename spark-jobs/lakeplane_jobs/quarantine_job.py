"""The quarantine phase on Spark: the staged batch of a load attempt that failed the quality gate
is moved to ``<--quarantine>staged-batch/`` as JSON lines, then the staging prefix is deleted.

The order is what makes it safe to retry (the state machine retries a failed step once):

1. the staged Parquet is written as gzipped JSON lines to ``staged-batch/`` (replacing whatever
   an interrupted earlier run left there);
2. only then the manifest ``staged-batch/_lakeplane.json`` is written (rows, load, attempt,
   source prefix, the Spark schema as DDL). Its presence means "the copy is complete";
3. only then ``--staging`` is deleted.

A run that finds the manifest of this load attempt does not copy again (the staging prefix may
be partly deleted by then, and copying it would replace the complete copy with a partial one):
it takes the row count from the manifest and deletes what is left of staging.

PySpark is not imported here: the job only calls methods of the session and DataFrame it gets.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from . import spark_io
from .cli import QuarantineArgs
from .contract import Contract
from .errors import JobFailure
from .paths import staged_batch_uri
from .results import quarantine_result, to_json

MANIFEST_NAME = "_lakeplane.json"  # "_": Spark's (and Hive's) readers skip it as a hidden file
JSON_OPTIONS = {
    # part-*.json.gz: Spark, Athena and zcat read it as is; a staged batch is a whole Bronze
    # file's good rows, and text JSON of it compresses several times over.
    "compression": "gzip",
    # Every column in every object, null or not: an inspector should see the missing values.
    "ignoreNullFields": "false",
    # Microseconds (Spark's default keeps milliseconds); the session time zone is UTC, so "Z".
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
}


def manifest_uri(location: str) -> str:
    return location + MANIFEST_NAME


def ddl_schema(df: Any) -> str:
    """The DataFrame's schema as Spark DDL (``spark.read.schema(<it>).json(...)`` reads the copy back typed)."""
    fields = df.schema.fields
    return ", ".join("`%s` %s" % (f.name.replace("`", "``"), f.dataType.simpleString()) for f in fields)


def quarantine_manifest(args: QuarantineArgs, dataset: str, rows: int, schema: str) -> Dict[str, Any]:
    return {
        "phase": "quarantine",
        "loadId": args.load_id,
        "dataset": dataset,
        "attempt": args.attempt,
        "staging": args.staging,
        "location": staged_batch_uri(args.quarantine),
        "rows": rows,
        "format": "JSON lines, gzip (part-*.json.gz)",
        "schema": schema,
    }


def manifest_rows(text: str, args: QuarantineArgs, dataset: str) -> Optional[int]:
    """The row count an earlier run of this step recorded for this load attempt; None when the
    text is not such a manifest (unreadable, or of another load, attempt or staging prefix)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    expected = {"loadId": args.load_id, "dataset": dataset, "attempt": args.attempt, "staging": args.staging}
    if any(doc.get(k) != v for k, v in expected.items()):
        return None
    rows = doc.get("rows")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        return None
    return rows


def run_quarantine(spark: Any, args: QuarantineArgs, contract: Contract) -> Dict[str, Any]:
    location = staged_batch_uri(args.quarantine)
    marker = manifest_uri(location)
    rows: Optional[int] = None
    if spark_io.exists(spark, marker):
        rows = manifest_rows(spark_io.read_text(spark, marker), args, contract.name)

    if rows is None:
        if not spark_io.exists(spark, args.staging):
            raise JobFailure(
                f"{contract.name}: no staged batch at {args.staging} for load {args.load_id} attempt "
                f"{args.attempt}, and {location} holds no complete copy of it; nothing was quarantined"
            )
        staged = spark.read.parquet(args.staging)
        rows = staged.count()
        staged.write.mode("overwrite").options(**JSON_OPTIONS).json(location)
        spark_io.write_text(spark, marker, to_json(quarantine_manifest(args, contract.name, rows, ddl_schema(staged))))

    # The copy and its manifest are in quarantine: now the staged batch goes, so that no later
    # step (a redriven execution, a hand-run upsert) can load it into Silver.
    if spark_io.exists(spark, args.staging):
        spark_io.delete(spark, args.staging)
    return quarantine_result(args.load_id, contract.name, rows, location)
