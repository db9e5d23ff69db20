"""Hudi write options for both Hudi lines, and reading back what a commit did.

Facts this module relies on (sources in spark-jobs/README.md):

- EMR 7.0-7.2 ship Hudi 0.14.x, EMR 7.3-7.10 ship 0.15.0, EMR 7.11-7.13 ship 1.0.2. The
  default line is therefore ``1.x`` (what current EMR 7.x releases run); ``--hudi-version 0.x``
  is for clusters on EMR 7.0-7.10. The job checks the line against the Hudi on the classpath.
- Hudi 0.x: event-time ordering comes from the payload class
  ``DefaultHoodieRecordPayload`` plus the ordering (precombine) field; the default payload
  overwrites with the latest write whatever its event time.
- Hudi 1.x: ``hoodie.write.record.merge.mode`` (table config ``hoodie.record.merge.mode``)
  ``EVENT_TIME_ORDERING`` with the precombine field; the payload class is deprecated.
- Both lines delete a record whose ``_hoodie_is_deleted`` column is true, within the same
  upsert commit (0.x's DefaultHoodieRecordPayload compares the ordering value first, so a
  delete older than the stored row does not remove it).
- Hudi 0.x writes ``.hoodie/<instant>.commit`` as JSON; Hudi 1.x writes
  ``.hoodie/timeline/<instant>_<completion>.commit`` as an Avro container of
  HoodieCommitMetadata. :func:`decode_commit_metadata` reads both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import avro
from .contract import Contract

HUDI_LINES = ("0.x", "1.x")
DEFAULT_HUDI_LINE = "1.x"

# Amazon EMR Release Guide, "Hudi release history" (EMR 7.x rows).
EMR7_HUDI_VERSIONS = (
    ("emr-7.0.0", "0.14.0-amzn-1"),
    ("emr-7.1.0", "0.14.1-amzn-0"),
    ("emr-7.2.0", "0.14.1-amzn-1"),
    ("emr-7.3.0", "0.15.0-amzn-0"),
    ("emr-7.4.0", "0.15.0-amzn-1"),
    ("emr-7.5.0", "0.15.0-amzn-2"),
    ("emr-7.6.0", "0.15.0-amzn-3"),
    ("emr-7.7.0", "0.15.0-amzn-4"),
    ("emr-7.8.0", "0.15.0-amzn-5"),
    ("emr-7.9.0", "0.15.0-amzn-6"),
    ("emr-7.10.0", "0.15.0-amzn-7"),
    ("emr-7.11.0", "1.0.2-amzn-0"),
    ("emr-7.12.0", "1.0.2-amzn-1"),
    ("emr-7.13.0", "1.0.2-amzn-2"),
)

# Spark settings Hudi needs; the jobs set them on the SparkSession builder (before the
# SparkContext exists), so the EMR step needs no --conf for them.
HUDI_SPARK_CONF = {
    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
    "spark.kryo.registrator": "org.apache.spark.HoodieSparkKryoRegistrar",
    "spark.sql.extensions": "org.apache.spark.sql.hudi.HoodieSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.hudi.catalog.HoodieCatalog",
}
EMR_HUDI_BUNDLE = "/usr/lib/hudi/hudi-spark-bundle.jar"

DELETE_COLUMN = "_hoodie_is_deleted"
LOAD_ID_METADATA_KEY = "_lakeplane.loadId"
SIMPLE_KEYGEN = "org.apache.hudi.keygen.SimpleKeyGenerator"
COMPLEX_KEYGEN = "org.apache.hudi.keygen.ComplexKeyGenerator"
DEFAULT_PAYLOAD = "org.apache.hudi.common.model.DefaultHoodieRecordPayload"
PARTITION_EXTRACTOR = "org.apache.hudi.hive.MultiPartKeysValueExtractor"
WRITE_ACTIONS = ("commit", "deltacommit", "replacecommit")
TIMELINE_DIRS = (".hoodie", ".hoodie/timeline")  # Hudi 0.x, Hudi 1.x


def key_generator(contract: Contract) -> str:
    """SimpleKeyGenerator for one key field, ComplexKeyGenerator for a composite key."""
    return COMPLEX_KEYGEN if len(contract.key) > 1 else SIMPLE_KEYGEN


def hudi_write_options(
    contract: Contract, database: str, hudi_line: str = DEFAULT_HUDI_LINE, load_id: Optional[str] = None
) -> Dict[str, str]:
    """The DataFrame writer options of the Silver upsert of one dataset.

    Copy-on-write table named after the dataset; record key = contract key; event-time
    ordering on the precombine field so a stale record never replaces a newer stored row;
    hive-style partitions on the contract partition field; Glue sync through the Hive
    metastore client (``hms`` mode: EMR's metastore client is the Glue Data Catalog); a global
    index so a row whose partition value changes moves instead of being duplicated, and a CDC
    delete finds its row whatever partition the delete record carries. ``load_id`` goes into
    the commit's extra metadata (keys starting with ``_`` are copied there).
    """
    if hudi_line not in HUDI_LINES:
        raise ValueError(f"unknown Hudi line {hudi_line!r}; use one of {', '.join(HUDI_LINES)}")
    opts = {
        "hoodie.table.name": contract.name,
        "hoodie.datasource.write.table.name": contract.name,
        "hoodie.datasource.write.operation": "upsert",
        "hoodie.datasource.write.table.type": "COPY_ON_WRITE",
        "hoodie.datasource.write.recordkey.field": ",".join(contract.key),
        "hoodie.datasource.write.keygenerator.class": key_generator(contract),
        "hoodie.datasource.write.partitionpath.field": contract.partition,
        "hoodie.datasource.write.hive_style_partitioning": "true",
        "hoodie.datasource.write.precombine.field": contract.precombine,
        "hoodie.index.type": "GLOBAL_SIMPLE",
        "hoodie.simple.index.update.partition.path": "true",
        "hoodie.datasource.hive_sync.enable": "true",
        "hoodie.datasource.hive_sync.mode": "hms",
        "hoodie.datasource.hive_sync.database": database,
        "hoodie.datasource.hive_sync.table": contract.name,
        "hoodie.datasource.hive_sync.partition_fields": contract.partition,
        "hoodie.datasource.hive_sync.partition_extractor_class": PARTITION_EXTRACTOR,
        "hoodie.datasource.hive_sync.support_timestamp": "true",
    }
    if hudi_line == "0.x":
        opts["hoodie.datasource.write.payload.class"] = DEFAULT_PAYLOAD
        opts["hoodie.payload.ordering.field"] = contract.precombine
    else:
        opts["hoodie.write.record.merge.mode"] = "EVENT_TIME_ORDERING"
        opts["hoodie.record.merge.mode"] = "EVENT_TIME_ORDERING"
    if load_id is not None:
        opts[LOAD_ID_METADATA_KEY] = load_id
    return opts


def stale_record_protection(options: Dict[str, str]) -> bool:
    """Whether the options make Hudi merge by event time (either line's way)."""
    has_field = bool(options.get("hoodie.datasource.write.precombine.field"))
    zero_x = options.get("hoodie.datasource.write.payload.class") == DEFAULT_PAYLOAD
    one_x = options.get("hoodie.write.record.merge.mode") == "EVENT_TIME_ORDERING"
    return has_field and (zero_x or one_x)


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def delete_flag_expression(contract: Contract) -> Optional[str]:
    """The Spark SQL expression of ``_hoodie_is_deleted`` for a CDC dataset, else None.

    True where the CDC column equals the delete value (trimmed, any case); false otherwise,
    including when the CDC column is null (a full-load row).
    """
    if contract.cdc is None:
        return None
    col = "`" + contract.cdc.column.replace("`", "``") + "`"
    value = _sql_string(contract.cdc.delete_value.strip().upper())
    return f"coalesce(upper(trim({col})) = {value}, false)"


def hudi_line_for_table_version(version_code: int) -> str:
    """The Hudi line of a writer from ``HoodieTableVersion.current()``: 6 is 0.14/0.15, 8+ is 1.x."""
    return "1.x" if version_code >= 8 else "0.x"


def hudi_missing_message() -> str:
    return (
        "Hudi is not on the Spark classpath: install the Hudi application on the EMR cluster and add "
        f"{EMR_HUDI_BUNDLE} to the job (spark-submit --jars, or spark.jars in the spark-defaults classification)"
    )


def hudi_line_mismatch(requested: str, detected: Optional[str]) -> Optional[str]:
    """Why the job must not write with these options, or None when the lines agree."""
    if detected is None:
        return hudi_missing_message()
    if requested != detected:
        return (
            f"--hudi-version {requested} was asked for, but the cluster runs Hudi {detected}; "
            f"pass --hudi-version {detected} (the {requested} options would not protect against stale records there)"
        )
    return None


@dataclass(frozen=True)
class TimelineEntry:
    instant: str
    action: str
    state: str  # "completed", "requested" or "inflight"
    completion: Optional[str] = None


_TIMELINE_FILE = re.compile(r"(\d{8,})(?:_(\d{8,}))?\.([a-z_]+)(?:\.(requested|inflight))?\Z")


def parse_timeline_file(name: str) -> Optional[TimelineEntry]:
    """Parses a timeline file name of either layout; None for anything else.

    0.x: ``<instant>.<action>[.requested|.inflight]`` in ``.hoodie/``; ``<instant>.inflight``
    is an inflight commit. 1.x: completed ``<instant>_<completion>.<action>`` and pending
    ``<instant>.<action>.requested|.inflight`` in ``.hoodie/timeline/``.
    """
    m = _TIMELINE_FILE.match(name)
    if not m:
        return None
    instant, completion, action, state = m.groups()
    if action == "inflight" and state is None:
        return TimelineEntry(instant, "commit", "inflight")
    return TimelineEntry(instant, action, state or "completed", completion)


def completed_writes(names: Iterable[str]) -> List[TimelineEntry]:
    """The completed data-writing instants among timeline file names, oldest first."""
    out = {}
    for n in names:
        e = parse_timeline_file(n)
        if e is not None and e.state == "completed" and e.action in WRITE_ACTIONS:
            out[(e.instant, e.action)] = e
    return sorted(out.values(), key=lambda e: (e.instant, e.action))


def new_writes(before: Sequence[TimelineEntry], after: Sequence[TimelineEntry]) -> List[TimelineEntry]:
    seen = {(e.instant, e.action) for e in before}
    return [e for e in after if (e.instant, e.action) not in seen]


def instant_file_uri(base_path: str, entry: TimelineEntry) -> str:
    """Where the completed instant's file is: ``.hoodie/timeline/<i>_<c>.<action>`` (1.x) or ``.hoodie/<i>.<action>`` (0.x)."""
    base = base_path.rstrip("/")
    if entry.completion:
        return f"{base}/{TIMELINE_DIRS[1]}/{entry.instant}_{entry.completion}.{entry.action}"
    return f"{base}/{TIMELINE_DIRS[0]}/{entry.instant}.{entry.action}"


def decode_commit_metadata(data: bytes) -> Dict[str, Any]:
    """The commit metadata of a completed instant file: JSON (Hudi 0.x) or Avro (Hudi 1.x)."""
    if data.startswith(avro.MAGIC):
        _, records = avro.read_container(data)
        if not records:
            return {}
        first = records[0]
        if not isinstance(first, dict):
            raise ValueError("the commit file's Avro record is not a record")
        return first
    text = data.decode("utf-8").strip()
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("the commit file's JSON is not an object")
    return value


def commit_load_id(metadata: Dict[str, Any]) -> Optional[str]:
    extra = metadata.get("extraMetadata") or {}
    value = extra.get(LOAD_ID_METADATA_KEY)
    return value if isinstance(value, str) else None


def choose_commit(
    candidates: Sequence[Tuple[TimelineEntry, Dict[str, Any]]], load_id: str
) -> Optional[Tuple[TimelineEntry, Dict[str, Any]]]:
    """The commit this load made among the new ones: the latest that carries the load id,
    else the latest (a writer that drops extra metadata); None when there is none."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda c: c[0].instant)
    mine = [c for c in ordered if commit_load_id(c[1]) == load_id]
    return (mine or ordered)[-1]
