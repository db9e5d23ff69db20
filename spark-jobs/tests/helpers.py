"""Shared test helpers: the contract fixtures and a small Avro container writer."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from typing import Any, Dict, List

from lakeplane_jobs.contract import Contract, parse_contract

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
SPARK_JOBS = os.path.dirname(HERE)
REPO = os.path.dirname(SPARK_JOBS)


def fixture_document(name: str) -> Dict[str, Any]:
    with open(os.path.join(FIXTURES, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def fixture_contract(name: str) -> Contract:
    return parse_contract(fixture_document(name), f"tests/fixtures/{name}.json")


# --- Avro writer (the inverse of lakeplane_jobs.avro, for building test inputs) ---


def _long(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _bytes(b: bytes) -> bytes:
    return _long(len(b)) + b


def _matches(schema: Any, value: Any, names: Dict[str, Any]) -> bool:
    if isinstance(schema, str) and schema in names:
        schema = names[schema]
    t = schema if isinstance(schema, str) else schema.get("type")
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if t in ("float", "double"):
        return isinstance(value, float)
    if t == "string":
        return isinstance(value, str)
    if t in ("bytes", "fixed"):
        return isinstance(value, bytes)
    if t == "enum":
        return isinstance(value, str)
    if t in ("record", "map"):
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    return False


def encode(schema: Any, value: Any, names: Dict[str, Any], ns: str = "") -> bytes:
    if isinstance(schema, list):
        for i, branch in enumerate(schema):
            if _matches(branch, value, names):
                return _long(i) + encode(branch, value, names, ns)
        raise ValueError(f"no union branch for {value!r}")
    if isinstance(schema, str):
        if schema in names:
            return encode(names[schema], value, names, ns)
        schema = {"type": schema}
    t = schema["type"]
    if t in ("record", "enum", "fixed"):
        ns = schema.get("namespace", ns)
        names.setdefault(schema["name"], schema)
        names.setdefault(f"{ns}.{schema['name']}" if ns else schema["name"], schema)
    if t == "null":
        return b""
    if t == "boolean":
        return b"\x01" if value else b"\x00"
    if t in ("int", "long"):
        return _long(value)
    if t == "float":
        return struct.pack("<f", value)
    if t == "double":
        return struct.pack("<d", value)
    if t == "bytes":
        return _bytes(value)
    if t == "string":
        return _bytes(value.encode("utf-8"))
    if t == "record":
        return b"".join(encode(f["type"], value.get(f["name"]), names, ns) for f in schema["fields"])
    if t == "enum":
        return _long(schema["symbols"].index(value))
    if t == "fixed":
        return value
    if t == "array":
        if not value:
            return _long(0)
        body = b"".join(encode(schema["items"], v, names, ns) for v in value)
        # a negative count is followed by the block's byte size, as writers may emit
        return _long(-len(value)) + _long(len(body)) + body + _long(0)
    if t == "map":
        if not value:
            return _long(0)
        return (
            _long(len(value))
            + b"".join(_bytes(k.encode("utf-8")) + encode(schema["values"], v, names, ns) for k, v in value.items())
            + _long(0)
        )
    if isinstance(t, (dict, list)):
        return encode(t, value, names, ns)
    raise ValueError(f"cannot encode {schema!r}")


def avro_container(schema: Any, records: List[Any], codec: str = "null", sync: bytes = b"0123456789abcdef") -> bytes:
    out = io.BytesIO()
    out.write(b"Obj\x01")
    meta = {"avro.schema": json.dumps(schema).encode("utf-8"), "avro.codec": codec.encode("utf-8")}
    out.write(_long(len(meta)))
    for k, v in meta.items():
        out.write(_bytes(k.encode("utf-8")) + _bytes(v))
    out.write(_long(0))
    out.write(sync)
    names: Dict[str, Any] = {}
    block = b"".join(encode(schema, r, names) for r in records)
    if codec == "deflate":
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = c.compress(block) + c.flush()
    out.write(_long(len(records)) + _bytes(block) + sync)
    return out.getvalue()


# The Avro schema of Hudi's HoodieCommitMetadata (hudi-common/src/main/avro/HoodieCommitMetadata.avsc).
HOODIE_WRITE_STAT_FIELDS = [
    "fileId", "path", "prevCommit", "prevFilePathOverwritten", "numWrites", "numDeletes", "numUpdateWrites",
    "totalWriteBytes", "totalWriteErrors", "partitionPath", "totalLogRecords", "totalLogFiles",
    "totalUpdatedRecordsCompacted", "numInserts", "totalLogBlocks", "totalCorruptLogBlock",
    "totalRollbackBlocks", "fileSizeInBytes",
]
_STRING_STAT_FIELDS = {"fileId", "path", "prevCommit", "prevFilePathOverwritten", "partitionPath"}
HOODIE_COMMIT_METADATA_SCHEMA = {
    "namespace": "org.apache.hudi.avro.model",
    "type": "record",
    "name": "HoodieCommitMetadata",
    "fields": [
        {
            "name": "partitionToWriteStats",
            "type": [
                "null",
                {
                    "type": "map",
                    "values": {
                        "type": "array",
                        "items": {
                            "name": "HoodieWriteStat",
                            "type": "record",
                            "fields": [
                                {
                                    "name": f,
                                    "type": ["null", "string" if f in _STRING_STAT_FIELDS else "long"],
                                    "default": None,
                                }
                                for f in HOODIE_WRITE_STAT_FIELDS
                            ],
                        },
                    },
                },
            ],
            "default": None,
        },
        {"name": "extraMetadata", "type": ["null", {"type": "map", "values": "string"}], "default": None},
        {"name": "version", "type": ["int", "null"], "default": 1},
        {"name": "operationType", "type": ["null", "string"], "default": None},
    ],
}


def write_stat(partition: str, file_id: str, inserts: Any, updates: Any, deletes: Any) -> Dict[str, Any]:
    stat = {f: None for f in HOODIE_WRITE_STAT_FIELDS}
    stat.update(
        fileId=file_id,
        partitionPath=partition,
        path=f"{partition}/{file_id}_0-1-0_20250101000000000.parquet",
        numInserts=inserts,
        numUpdateWrites=updates,
        numDeletes=deletes,
        numWrites=(inserts or 0) + (updates or 0),
        totalWriteBytes=4096,
        totalWriteErrors=0,
    )
    return stat
