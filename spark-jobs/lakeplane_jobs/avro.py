"""A small reader of Avro object container files (enough for Hudi 1.x timeline files).

Hudi 1.x stores the metadata of a completed commit as an Avro container holding one
HoodieCommitMetadata record. This reader decodes any schema made of the Avro primitive and
complex types; logical types are returned as their underlying values. Codecs: null and deflate.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any, Dict, List, Optional, Tuple

MAGIC = b"Obj\x01"
PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


class AvroError(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise AvroError("unexpected end of Avro data")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def long(self) -> int:
        shift, result = 0, 0
        while True:
            b = self.read(1)[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 70:
                raise AvroError("varint too long")
        return (result >> 1) ^ -(result & 1)

    def bytes_(self) -> bytes:
        return self.read(self.long())


def _fullname(name: str, namespace: Optional[str]) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def _register(schema: Any, names: Dict[str, Any], namespace: Optional[str] = None) -> None:
    """Records every named type of the schema under its full and short name."""
    if isinstance(schema, list):
        for s in schema:
            _register(s, names, namespace)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "error", "enum", "fixed"):
            ns = schema.get("namespace", namespace)
            full = _fullname(schema["name"], ns)
            names[full] = schema
            names.setdefault(schema["name"], schema)
            if "." in full:
                ns = full.rsplit(".", 1)[0]
            for f in schema.get("fields", ()):
                _register(f["type"], names, ns)
        elif t == "array":
            _register(schema["items"], names, namespace)
        elif t == "map":
            _register(schema["values"], names, namespace)
        elif isinstance(t, (dict, list)):
            _register(t, names, namespace)


def _decode(schema: Any, r: _Reader, names: Dict[str, Any]) -> Any:
    if isinstance(schema, list):
        index = r.long()
        if not 0 <= index < len(schema):
            raise AvroError(f"union branch {index} out of range")
        return _decode(schema[index], r, names)
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return _primitive(schema, r)
        if schema in names:
            return _decode(names[schema], r, names)
        raise AvroError(f"unknown Avro type {schema!r}")
    t = schema.get("type")
    if t in PRIMITIVES:
        return _primitive(t, r)
    if t in ("record", "error"):
        return {f["name"]: _decode(f["type"], r, names) for f in schema["fields"]}
    if t == "enum":
        return schema["symbols"][r.long()]
    if t == "fixed":
        return r.read(schema["size"])
    if t == "array":
        items: List[Any] = []
        for _ in _blocks(r):
            items.append(_decode(schema["items"], r, names))
        return items
    if t == "map":
        out: Dict[str, Any] = {}
        for _ in _blocks(r):
            k = r.bytes_().decode("utf-8")
            out[k] = _decode(schema["values"], r, names)
        return out
    if isinstance(t, (str, list, dict)):
        return _decode(t, r, names)
    raise AvroError(f"unsupported Avro schema {schema!r}")


def _blocks(r: _Reader):
    while True:
        count = r.long()
        if count == 0:
            return
        if count < 0:
            count = -count
            r.long()  # block size in bytes
        for _ in range(count):
            yield None


def _primitive(t: str, r: _Reader) -> Any:
    if t == "null":
        return None
    if t == "boolean":
        return r.read(1) != b"\x00"
    if t in ("int", "long"):
        return r.long()
    if t == "float":
        return struct.unpack("<f", r.read(4))[0]
    if t == "double":
        return struct.unpack("<d", r.read(8))[0]
    if t == "bytes":
        return r.bytes_()
    return r.bytes_().decode("utf-8")


def read_container(data: bytes) -> Tuple[Any, List[Any]]:
    """Decodes an Avro object container: (writer schema, records)."""
    if not data.startswith(MAGIC):
        raise AvroError("not an Avro object container (no Obj\\x01 magic)")
    r = _Reader(data, len(MAGIC))
    meta: Dict[str, bytes] = {}
    for _ in _blocks(r):
        key = r.bytes_().decode("utf-8")
        meta[key] = r.bytes_()
    sync = r.read(16)
    if "avro.schema" not in meta:
        raise AvroError("the Avro container has no avro.schema")
    schema = json.loads(meta["avro.schema"].decode("utf-8"))
    codec = meta.get("avro.codec", b"null").decode("utf-8")
    if codec not in ("null", "deflate"):
        raise AvroError(f"unsupported Avro codec {codec!r}")
    names: Dict[str, Any] = {}
    _register(schema, names)
    records: List[Any] = []
    while r.pos < len(data):
        count = r.long()
        block = r.bytes_()
        if codec == "deflate":
            block = zlib.decompress(block, -15)
        br = _Reader(block)
        for _ in range(count):
            records.append(_decode(schema, br, names))
        if r.read(16) != sync:
            raise AvroError("Avro sync marker mismatch")
    return schema, records
