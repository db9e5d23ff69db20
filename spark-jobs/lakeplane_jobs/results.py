"""The result JSON each phase writes to ``--result`` (read by shared/core/run-results.ts)."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence, Tuple


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def stage_result(
    load_id: str,
    dataset: str,
    rows_in: int,
    rows_quarantined: int,
    rows_staged: int,
    duplicates_dropped: int,
    objects_rejected: int = 0,
    objects: Optional[Sequence[Tuple[int, int]]] = None,
) -> Dict[str, Any]:
    """``rowsQuarantined`` includes every record of a rejected object; ``objectsRejected`` counts
    the load's objects over the bad-record ratio (always written, 0 when none). ``objects``, for a
    load of several objects only: each one's (records in, records quarantined), in manifest order,
    written as ``objects: [{rowsIn, rowsQuarantined}, ...]``."""
    result: Dict[str, Any] = {
        "phase": "stage",
        "loadId": load_id,
        "dataset": dataset,
        "rowsIn": _count("rowsIn", rows_in),
        "rowsQuarantined": _count("rowsQuarantined", rows_quarantined),
        "rowsStaged": _count("rowsStaged", rows_staged),
        "duplicatesDropped": _count("duplicatesDropped", duplicates_dropped),
        "objectsRejected": _count("objectsRejected", objects_rejected),
    }
    if objects is not None:
        result["objects"] = [
            {
                "rowsIn": _count(f"rowsIn of object {i}", rows_in),
                "rowsQuarantined": _count(f"rowsQuarantined of object {i}", rows_quarantined),
            }
            for i, (rows_in, rows_quarantined) in enumerate(objects)
        ]
    return result


def upsert_result(load_id: str, dataset: str, commit_id: str, counts: Dict[str, int]) -> Dict[str, Any]:
    """``commitId`` is the Hudi instant time; "" when there was nothing to write (no commit)."""
    return {
        "phase": "upsert",
        "loadId": load_id,
        "dataset": dataset,
        "commitId": commit_id,
        "inserted": _count("inserted", counts.get("inserted", 0)),
        "updated": _count("updated", counts.get("updated", 0)),
        "deleted": _count("deleted", counts.get("deleted", 0)),
    }


def gold_result(load_id: str, dataset: str, tables: Sequence[Tuple[str, int]]) -> Dict[str, Any]:
    return {
        "phase": "gold",
        "loadId": load_id,
        "dataset": dataset,
        "tables": [{"name": n, "rows": _count(f"rows of {n}", r)} for n, r in tables],
    }


def quarantine_result(load_id: str, dataset: str, rows: int, location: str) -> Dict[str, Any]:
    """``rows``: how many staged rows were moved; ``location``: the prefix they are under now."""
    return {
        "phase": "quarantine",
        "loadId": load_id,
        "dataset": dataset,
        "rows": _count("rows", rows),
        "location": location,
    }


def error_result(phase: str, load_id: str, dataset: str, message: str) -> Dict[str, Any]:
    """What a failed step leaves at ``--result``: the phase and the reason, no counts."""
    return {"phase": phase, "loadId": load_id, "dataset": dataset, "error": message}


def to_json(result: Dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n"
