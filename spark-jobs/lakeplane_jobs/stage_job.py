"""The stage phase on Spark: type one Bronze object, quarantine bad lines, run silver.sql, dedupe.

PySpark is imported inside the functions; the row-level logic is in casting.py and dedupe.py.
A record without its record key or precombine field is not quarantined here: it is staged
(kept out of the per-key dedupe) for the quality gate, whose implicit not-null expectations
fail the whole batch.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence, Tuple

from . import spark_io
from .casting import bad_ratio_failure, parse_line, quarantine_record
from .cli import StageArgs
from .contract import Contract, key_columns, required_fields
from .dedupe import LINE_COLUMN, OrderBy, dedupe_plan, null_key_condition, order_spec
from .errors import JobFailure
from .paths import scratch_input_uri
from .results import stage_result

QUARANTINE_SCHEMA = "loadId string, dataset string, source string, lineNumber bigint, reason string, rawLine string"


def spark_type(ctype: Any) -> Any:
    from pyspark.sql import types as T

    if ctype.kind == "decimal":
        return T.DecimalType(ctype.precision, ctype.scale)
    return {
        "string": T.StringType(),
        "int": T.IntegerType(),
        "bigint": T.LongType(),
        "double": T.DoubleType(),
        "float": T.FloatType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
    }[ctype.kind]


def _dedupe(df: Any, key: Sequence[str], spec: Sequence[OrderBy]) -> Any:
    """The first row per key by ``spec``; rows with no record key are all kept, not deduped.

    A null key field would otherwise group every keyless row under one key and keep only one
    of them, and the quality gate must count them all (dedupe.py).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    no_key = null_key_condition(key)
    order = []
    for o in spec:
        col = F.col(o.column)
        order.append(col.desc_nulls_last() if o.descending else col.asc_nulls_last())
    window = Window.partitionBy(*[F.col(k) for k in key]).orderBy(*order)
    rank = "_lp_rank"
    keyed = df.filter(F.expr(f"NOT ({no_key})"))
    deduped = keyed.withColumn(rank, F.row_number().over(window)).filter(F.col(rank) == 1).drop(rank)
    return deduped.unionByName(df.filter(F.expr(no_key)))


def missing_columns(available: Sequence[str], contract: Contract) -> Dict[str, str]:
    """Columns silver.sql must produce (key, precombine, partition, cdc) that it does not, with their role."""
    have = {c.lower() for c in available}
    need: Dict[str, str] = {}
    for k in contract.key:
        need.setdefault(k, "record key")
    need.setdefault(contract.precombine, "precombine")
    need.setdefault(contract.partition, "partition")
    if contract.cdc is not None:
        need.setdefault(contract.cdc.column, "cdc column")
    return {n: why for n, why in need.items() if n.lower() not in have}


def run_stage(spark: Any, args: StageArgs, contract: Contract) -> Dict[str, Any]:
    from pyspark import StorageLevel
    from pyspark.sql import types as T

    source = args.input if not args.input_version else f"{args.input}?versionId={args.input_version}"
    read_uri, scratch = args.input, None
    cached = []
    try:
        if args.input_version:
            scratch = scratch_input_uri(args.staging, args.load_id, args.input)
            spark_io.copy_object_version(args.input, args.input_version, scratch)
            read_uri = scratch

        columns: Tuple[Tuple[str, Any], ...] = tuple((c.name, c.type) for c in contract.columns)
        required = required_fields(contract)
        non_empty = tuple(k for k in key_columns(contract) if contract.column(k).type.kind == "string")

        def parse(pair: Tuple[str, int]) -> Any:
            line, index = pair
            return parse_line(line, index + 1, columns, required, non_empty)

        parsed = spark.sparkContext.textFile(read_uri).zipWithIndex().map(parse).filter(lambda r: r is not None)
        parsed.persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(parsed)
        rows_in = parsed.count()
        bad = parsed.filter(lambda r: r.reason is not None)
        rows_bad = bad.count()
        first_bad = None
        if rows_bad:
            first = bad.takeOrdered(1, key=lambda r: r.line_no)[0]
            first_bad = (first.line_no, first.reason)
        failure = bad_ratio_failure(
            contract.name, source, rows_in, rows_bad, contract.max_bad_record_ratio, first_bad
        )
        if failure:
            raise JobFailure(failure)

        dataset, load_id = contract.name, args.load_id
        if rows_bad:
            records = bad.map(
                lambda r: tuple(quarantine_record(dataset, load_id, source, r.line_no, r.raw, r.reason).values())
            )
            spark.createDataFrame(records, QUARANTINE_SCHEMA).coalesce(1).write.mode("overwrite").json(args.quarantine)

        # All columns nullable in Spark: required fields were checked above (key and precombine
        # fields may still be null here: the quality gate checks those on the staged batch), and
        # an all-optional schema keeps the Hudi table schema stable when silver.sql changes a
        # column's nullability.
        fields = [T.StructField(name, spark_type(ctype), True) for name, ctype in columns]
        fields.append(T.StructField(LINE_COLUMN, T.LongType(), False))
        good = parsed.filter(lambda r: r.reason is None).map(lambda r: r.values + (r.line_no,))
        typed = spark.createDataFrame(good, T.StructType(fields))

        plan = dedupe_plan(contract)
        dropped = 0
        batch = typed
        if plan.before_sql:
            batch = _dedupe(typed, plan.key, order_spec(plan, with_line=True)).persist(StorageLevel.MEMORY_AND_DISK)
            cached.append(batch)
            dropped += (rows_in - rows_bad) - batch.count()
        batch.drop(LINE_COLUMN).createOrReplaceTempView("batch")

        silver = spark.sql(contract.silver_sql)
        missing = missing_columns(silver.columns, contract)
        if missing:
            listed = ", ".join(f"{n} ({why})" for n, why in missing.items())
            raise JobFailure(f"{contract.name}: silver.sql does not return {listed}")
        silver = silver.persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(silver)
        produced = silver.count()
        final = _dedupe(silver, plan.key, order_spec(plan, with_line=False)).persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(final)
        rows_staged = final.count()
        dropped += produced - rows_staged

        final.write.mode("overwrite").parquet(args.staging)
        return stage_result(args.load_id, contract.name, rows_in, rows_bad, rows_staged, dropped)
    finally:
        for c in cached:
            try:
                c.unpersist()
            except Exception:
                pass
        if scratch is not None:
            try:
                spark_io.delete_s3_object(scratch)
            except Exception:
                pass

