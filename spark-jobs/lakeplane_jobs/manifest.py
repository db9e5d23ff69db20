"""A load's manifest: the exact Bronze object versions one load reads, in landing order.

The scheduler writes it to ``s3://<artifacts>/runs/<load id>/manifest.json`` before anything
names the load (``shared/core/manifest.ts`` is the schema; this module checks the same rules)
and the stage step gets it as ``--manifest``:

    {"version": 1, "loadId": "...", "dataset": "...",
     "objects": [{"bucket": "b", "key": "k", "versionId": "v", "etag": "...", "size": 123,
                  "landedAt": "2024-05-01T12:00:00Z"}, ...]}

``versionId`` is left out for an unversioned bucket. Each object may also carry ``localUri``, a
``file:`` URI of that exact version's content, which the job then reads instead of copying the
version from S3: **only the local Spark engine sets it** (``local/emr/spark-engine.ts``, which
hands the job a local copy of the manifest); a manifest on S3 never has it.

Pure Python: parsing and checking only, no Spark.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .errors import JobFailure

MANIFEST_VERSION = 1


class ManifestError(JobFailure):
    """The load manifest cannot be read or does not have what the stage needs (the step fails)."""


@dataclass(frozen=True)
class ManifestObject:
    bucket: str
    key: str
    version_id: Optional[str]
    etag: str
    size: int
    landed_at: str
    local_uri: Optional[str] = None

    @property
    def uri(self) -> str:
        """``s3://bucket/key``: the object, whatever its version."""
        return f"s3://{self.bucket}/{self.key}"

    @property
    def source(self) -> str:
        """What quarantine records and messages name: ``s3://bucket/key[?versionId=V]``."""
        return self.uri if self.version_id is None else f"{self.uri}?versionId={self.version_id}"


@dataclass(frozen=True)
class LoadManifest:
    load_id: str
    dataset: str
    objects: Tuple[ManifestObject, ...]


class _Invalid(Exception):
    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def _non_empty_string(doc: Dict[str, Any], name: str, path: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str):
        raise _Invalid(path, "missing" if name not in doc else f"must be a string, got {_kind(value)}")
    if not value:
        raise _Invalid(path, "must not be empty")
    return value


def _optional_string(doc: Dict[str, Any], name: str, path: str) -> Optional[str]:
    if name not in doc:
        return None
    return _non_empty_string(doc, name, path)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _object(value: Any, path: str) -> ManifestObject:
    """One entry of ``objects``, its fields checked in the schema's order."""
    if not isinstance(value, dict):
        raise _Invalid(path, f"must be an object, got {_kind(value)}")
    bucket = _non_empty_string(value, "bucket", f"{path}.bucket")
    key = _non_empty_string(value, "key", f"{path}.key")
    version_id = _optional_string(value, "versionId", f"{path}.versionId")
    etag = value.get("etag")
    if not isinstance(etag, str):
        raise _Invalid(f"{path}.etag", "missing" if "etag" not in value else f"must be a string, got {_kind(etag)}")
    size = value.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        got = "missing" if "size" not in value else f"got {json.dumps(size)}"
        raise _Invalid(f"{path}.size", f"must be a whole number of bytes from 0 ({got})")
    landed_at = _non_empty_string(value, "landedAt", f"{path}.landedAt")
    local_uri = _optional_string(value, "localUri", f"{path}.localUri")
    if local_uri is not None and not local_uri.startswith("file:/"):
        raise _Invalid(f"{path}.localUri", f"must be a file: URI, got {local_uri!r}")
    return ManifestObject(bucket, key, version_id, etag, size, landed_at, local_uri)


def _manifest(doc: Any) -> LoadManifest:
    if not isinstance(doc, dict):
        raise _Invalid("(root)", f"must be a JSON object, got {_kind(doc)}")
    version = doc.get("version")
    if isinstance(version, bool) or version != MANIFEST_VERSION:
        got = "missing" if "version" not in doc else f"got {json.dumps(version)}"
        raise _Invalid("version", f"must be {MANIFEST_VERSION} ({got}); this job reads manifest version {MANIFEST_VERSION}")
    load_id = _non_empty_string(doc, "loadId", "loadId")
    dataset = _non_empty_string(doc, "dataset", "dataset")
    objects = doc.get("objects")
    if not isinstance(objects, list):
        raise _Invalid("objects", "missing" if "objects" not in doc else f"must be an array, got {_kind(objects)}")
    if not objects:
        raise _Invalid("objects", "must list at least one object")
    parsed: List[ManifestObject] = [_object(o, f"objects.{i}") for i, o in enumerate(objects)]
    return LoadManifest(load_id, dataset, tuple(parsed))


def parse_manifest(text: str, uri: str) -> LoadManifest:
    """The manifest in ``text`` (read from ``uri``); ManifestError naming the URI and the bad field.

    e.g. ``the load manifest s3://a/runs/L/manifest.json is not valid at objects.2.key: missing``.
    The first problem found is reported (as shared/core/manifest.ts's parseManifest does).
    """
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise ManifestError(f"the load manifest {uri} is not JSON: {e}") from None
    try:
        return _manifest(doc)
    except _Invalid as e:
        raise ManifestError(f"the load manifest {uri} is not valid at {e.path}: {e.message}") from None


def check_manifest_for(manifest: LoadManifest, uri: str, dataset: str, load_id: str) -> None:
    """Refuses a manifest of another dataset or load (a wrong ``--manifest`` would load the wrong files)."""
    if manifest.dataset != dataset:
        raise ManifestError(
            f"the load manifest {uri} is for dataset {manifest.dataset!r}, not --dataset {dataset}; "
            "pass the manifest of this load"
        )
    if manifest.load_id != load_id:
        raise ManifestError(
            f"the load manifest {uri} is for load {manifest.load_id!r}, not --load-id {load_id}; "
            "pass the manifest of this load"
        )
