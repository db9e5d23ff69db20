"""The stage phase on Spark: type a load's Bronze objects, quarantine bad lines, run silver.sql, dedupe.

A load is the objects of its manifest (``--manifest``, in landing order), or the one ``--input``
object of a load from before manifests (the one-object case of the same code). PySpark is
imported inside the functions; the row-level logic is in casting.py and dedupe.py, the
manifest's in manifest.py.

The bad-record ratio holds per object: an object over it is rejected whole (all its records go
to quarantine, its good ones with ``casting.rejected_reason``) and the load goes on with the
others; when every object is rejected the step fails as a one-object load always did.
A record without its record key or precombine field is not quarantined here: it is staged
(kept out of the per-key dedupe) for the quality gate, whose implicit not-null expectations
fail the whole batch.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from . import spark_io
from .casting import bad_ratio_failure, over_bad_ratio, parse_line, quarantine_record, rejected_reason
from .cli import StageArgs
from .contract import Contract, key_columns, required_fields
from .dedupe import LINE_COLUMN, OBJECT_COLUMN, OrderBy, dedupe_plan, null_key_condition, order_spec
from .errors import JobFailure
from .manifest import ManifestError, check_manifest_for, parse_manifest
from .paths import scratch_input_uri
from .results import stage_result

# Hadoop's LineReader ends a line at \n, \r\n or a lone \r; the bytes reader splits the same way.
_LINE_BREAK = re.compile(rb"\r\n|\n|\r")


def byte_lines(pair: Tuple[str, bytes]) -> List[Tuple[bytes, int]]:
    """The lines of one whole object (``binaryFiles``) as (bytes, 0-based index), as textFile numbers them."""
    path, data = pair
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    lines = _LINE_BREAK.split(data)
    if lines and lines[-1] == b"":
        lines.pop()
    return [(line, n) for n, line in enumerate(lines)]


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


@dataclass(frozen=True)
class StageInput:
    """One object the stage reads."""

    source: str
    """What quarantine records and messages name: ``s3://bucket/key[?versionId=V]`` (the --input URI as given)."""
    uri: str
    """The object's URI, without the version."""
    version_id: Optional[str]
    local_uri: Optional[str] = None
    """A local copy of that version (only the local Spark engine's manifests have one)."""


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def stage_inputs(spark: Any, args: StageArgs) -> Tuple[StageInput, ...]:
    """The objects of the load in manifest order: the manifest's, or the one ``--input``."""
    if args.manifest is None:
        uri = str(args.input)
        source = uri if not args.input_version else f"{uri}?versionId={args.input_version}"
        return (StageInput(source, uri, args.input_version or None),)
    try:
        text = spark_io.read_text(spark, args.manifest)
    except Exception as e:
        raise ManifestError(
            f"the load manifest {args.manifest} cannot be read ({_first_line(e)}); "
            "the scheduler writes it before it starts the load: check that the file exists"
        ) from None
    manifest = parse_manifest(text, args.manifest)
    check_manifest_for(manifest, args.manifest, args.dataset, args.load_id)
    return tuple(StageInput(o.source, o.uri, o.version_id, o.local_uri) for o in manifest.objects)


def read_uris(args: StageArgs, inputs: Sequence[StageInput], scratches: List[str]) -> List[str]:
    """What Spark reads for each input; an exact S3 version is copied to scratch first.

    Each scratch URI is appended to ``scratches`` before its copy starts, so the caller deletes
    it (in ``finally``) even when the copy or a later step fails. The ``--input`` object keeps
    its scratch name of before manifests; a manifest's object gets a folder of its own index.
    """
    out: List[str] = []
    for index, inp in enumerate(inputs):
        if inp.local_uri is not None:
            out.append(inp.local_uri)
        elif inp.version_id:
            scratch = scratch_input_uri(
                args.staging, args.load_id, inp.uri, None if args.manifest is None else index
            )
            scratches.append(scratch)
            spark_io.copy_object_version(inp.uri, inp.version_id, scratch)
            out.append(scratch)
        else:
            out.append(inp.uri)
    return out


def rejected_objects(counts: Sequence[Tuple[int, int]], max_ratio: float) -> Tuple[int, ...]:
    """The indexes of the objects over the bad-record ratio, from each object's (records, bad records)."""
    return tuple(i for i, (rows_in, rows_bad) in enumerate(counts) if over_bad_ratio(rows_in, rows_bad, max_ratio))


def run_stage(spark: Any, args: StageArgs, contract: Contract) -> Dict[str, Any]:
    from pyspark import StorageLevel
    from pyspark.sql import types as T

    inputs = stage_inputs(spark, args)
    sources = [inp.source for inp in inputs]
    scratches: List[str] = []
    cached = []
    try:
        uris = read_uris(args, inputs, scratches)
        columns: Tuple[Tuple[str, Any], ...] = tuple((c.name, c.type) for c in contract.columns)
        required = required_fields(contract)
        non_empty = tuple(k for k in key_columns(contract) if contract.column(k).type.kind == "string")

        def parser(index: int) -> Any:
            def parse(pair: Tuple[str, int]) -> Any:
                line, n = pair
                r = parse_line(line, n + 1, columns, required, non_empty)
                return None if r is None else (index, r)

            return parse

        sc = spark.sparkContext
        # An object of a load of several is read in as few splits as its size allows (one below the
        # block size): zipWithIndex runs a Spark job to number the lines of an input of more than
        # one split, which hundreds of small objects would pay one by one; the union is parallel.
        splits = {} if len(uris) == 1 else {"minPartitions": 1}

        def text_lines(i: int, u: str) -> Any:
            return sc.textFile(u, **splits).zipWithIndex().map(parser(i)).filter(lambda t: t is not None)

        def raw_lines(i: int, u: str) -> Any:
            return sc.binaryFiles(u).flatMap(byte_lines).map(parser(i)).filter(lambda t: t is not None)

        def tally(rdd: Any) -> Dict[int, Tuple[int, int, int]]:
            # (records, bad records, lines holding U+FFFD) per object index.
            reducers = min(len(uris), sc.defaultParallelism)
            try:
                return (
                    rdd.map(lambda t: (t[0], (1, 0 if t[1].reason is None else 1, 1 if "\ufffd" in t[1].raw else 0)))
                    .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1], a[2] + b[2]), numPartitions=reducers)
                    .collectAsMap()
                )
            except Exception as e:
                # Hadoop's gzip codec fails the read of a truncated or corrupt .gz (EOFException), as
                # it must; name the object instead of the JVM's stack.
                if "EOFException" not in str(e) and "Unexpected end of input stream" not in str(e):
                    raise
                raise JobFailure(_damaged_gzip_message(spark, inputs, uris)) from None

        def read(reader: Dict[int, Any]) -> Any:
            rdd = reader[0] if len(reader) == 1 else sc.union([reader[i] for i in range(len(uris))])
            rdd.persist(StorageLevel.MEMORY_AND_DISK)
            cached.append(rdd)
            return rdd

        readers = {i: text_lines(i, u) for i, u in enumerate(uris)}
        parsed = read(readers)
        tallies = tally(parsed)
        # textFile decodes in the JVM, where a byte that is not UTF-8 becomes U+FFFD without a
        # word. An object with a line holding U+FFFD is read again as bytes (binaryFiles, the whole
        # object in one task: rare, and only that object), so the record rules see the bytes and
        # quarantine such a line as "not valid UTF-8" as the other paths do.
        suspects = [i for i, t in tallies.items() if t[2] > 0]
        if suspects:
            for i in suspects:
                readers[i] = raw_lines(i, uris[i])
            parsed = read(readers)
            tallies = tally(parsed)
        counts = [tuple(tallies.get(i, (0, 0, 0))[:2]) for i in range(len(inputs))]
        rows_in = sum(c[0] for c in counts)
        rows_bad = sum(c[1] for c in counts)
        ratio = contract.max_bad_record_ratio
        rejected = rejected_objects(counts, ratio)
        if rejected and len(rejected) == len(inputs):
            raise JobFailure(_rejection_failure(parsed, contract.name, sources, counts, rejected[0], ratio))

        # The quarantine reason of the good records of each rejected object.
        reasons: Dict[int, str] = {i: rejected_reason(counts[i][1], counts[i][0]) for i in rejected}
        out_of_load: FrozenSet[int] = frozenset(rejected)
        rows_quarantined = rows_bad + sum(counts[i][0] - counts[i][1] for i in rejected)

        dataset, load_id = contract.name, args.load_id
        if rows_quarantined:
            records = (
                parsed.filter(lambda t: t[1].reason is not None or t[0] in out_of_load)
                .sortBy(lambda t: (t[0], t[1].line_no), numPartitions=1)
                .map(
                    lambda t: tuple(
                        quarantine_record(
                            dataset, load_id, sources[t[0]], t[1].line_no, t[1].raw, t[1].reason or reasons[t[0]]
                        ).values()
                    )
                )
            )
            spark.createDataFrame(records, QUARANTINE_SCHEMA).coalesce(1).write.mode("overwrite").json(args.quarantine)

        # All columns nullable in Spark: required fields were checked above (key and precombine
        # fields may still be null here: the quality gate checks those on the staged batch), and
        # an all-optional schema keeps the Hudi table schema stable when silver.sql changes a
        # column's nullability.
        fields = [T.StructField(name, spark_type(ctype), True) for name, ctype in columns]
        fields.append(T.StructField(OBJECT_COLUMN, T.IntegerType(), False))
        fields.append(T.StructField(LINE_COLUMN, T.LongType(), False))
        good = parsed.filter(lambda t: t[1].reason is None and t[0] not in out_of_load).map(
            lambda t: t[1].values + (t[0], t[1].line_no)
        )
        typed = spark.createDataFrame(good, T.StructType(fields))

        plan = dedupe_plan(contract)
        dropped = 0
        batch = typed
        if plan.before_sql:
            spec = order_spec(plan, with_line=True, with_object=True)
            batch = _dedupe(typed, plan.key, spec).persist(StorageLevel.MEMORY_AND_DISK)
            cached.append(batch)
            dropped += (rows_in - rows_quarantined) - batch.count()
        batch.drop(LINE_COLUMN, OBJECT_COLUMN).createOrReplaceTempView("batch")

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
        # Per object (a load of several): records in, and quarantined (all of a rejected one's).
        objects = (
            [(n, n if i in out_of_load else bad) for i, (n, bad) in enumerate(counts)] if len(inputs) > 1 else None
        )
        return stage_result(
            args.load_id, contract.name, rows_in, rows_quarantined, rows_staged, dropped, len(rejected), objects
        )
    finally:
        for c in cached:
            try:
                c.unpersist()
            except Exception:
                pass
        for scratch in scratches:
            try:
                spark_io.delete_s3_object(scratch)
            except Exception:
                pass


def whole_gzip(data: bytes) -> Optional[str]:
    """None when ``data`` decompresses to its end (every member of a multi-member file), else why not."""
    import zlib

    rest = data
    while rest:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            d.decompress(rest)
        except zlib.error as e:
            return str(e)
        if not d.eof:
            return "unexpected end of file"
        rest = d.unused_data
    return None


def _damaged_gzip_message(spark: Any, inputs: Sequence[StageInput], uris: Sequence[str]) -> str:
    """The failure for a load whose read hit a damaged .gz: the first such object, in the words of the local engine."""
    for inp, uri in zip(inputs, uris):
        if not inp.uri.endswith(".gz"):
            continue
        why = whole_gzip(spark_io.read_bytes(spark, uri))
        if why is not None:
            return f"{inp.source} is not a whole gzip file ({why}): nothing of it was loaded; land the complete file again"
    return "a .gz object of the load ended early (Unexpected end of input stream): land the complete files again"


def _rejection_failure(
    parsed: Any, dataset: str, sources: Sequence[str], counts: Sequence[Tuple[int, int]], index: int, ratio: float
) -> str:
    """The step's failure when every object was rejected: the first one's message, with its first bad line."""
    first = parsed.filter(lambda t: t[0] == index and t[1].reason is not None).takeOrdered(
        1, key=lambda t: t[1].line_no
    )[0][1]
    rows_in, rows_bad = counts[index]
    message = bad_ratio_failure(dataset, sources[index], rows_in, rows_bad, ratio, (first.line_no, first.reason))
    return str(message)
