"""Keeping a bounded set of Hudi savepoints on a Silver table (pure part of savepoint_table.py).

Every savepoint pins the files of its commit against the cleaner, so Silver grows with each one;
the state machine savepoints every upsert commit and keeps the newest ``keep`` of them (the same
depth as the local runtime's retained snapshots), deleting older ones with ``delete_savepoint``.
A rollback can then return to any of the last ``keep`` commits in one restore.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

from .errors import JobFailure
from .rollback import check_instant, instant_order, table_arg

# Same depth as DEFAULT_RETAIN_COMMITS of the local warehouse (local/engine/snapshots.ts).
DEFAULT_KEEP = 20


def delete_savepoint_sql(table: str, instant: str) -> str:
    return f"CALL delete_savepoint({table_arg(table)}, instant_time => '{check_instant(instant, 'savepoint')}')"


@dataclass(frozen=True)
class SavepointPlan:
    commit: str
    create: bool  # False: the commit already has one (a retried step)
    delete: Tuple[str, ...]  # oldest first


def plan_savepoints(existing: Iterable[str], commit: str, keep: int = DEFAULT_KEEP) -> SavepointPlan:
    """Savepoint ``commit`` and delete the savepoints that fall out of the newest ``keep``."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep must be a positive integer, got {keep!r}")
    check_instant(commit, "commit instant")
    current = {check_instant(s, "savepoint") for s in existing}
    window = set(sorted(current | {commit}, key=instant_order)[-keep:])
    # A commit outside the window (newer savepoints already fill it: a late retry) gets none.
    create = commit in window and commit not in current
    return SavepointPlan(commit, create, tuple(sorted(current - window, key=instant_order)))


def commit_of_upsert_result(text: str, uri: str, load_id: str) -> str:
    """The Silver commit the upsert step of this load wrote in its result JSON."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise JobFailure(f"{uri} is not the JSON result of an upsert step: {e}") from e
    if not isinstance(doc, dict) or doc.get("phase") != "upsert":
        raise JobFailure(f"{uri} is not the result of an upsert step (phase {doc.get('phase') if isinstance(doc, dict) else None!r})")
    if doc.get("loadId") != load_id:
        raise JobFailure(f"{uri} is the upsert result of load {doc.get('loadId')!r}, not {load_id}")
    commit = doc.get("commitId")
    if not isinstance(commit, str):
        raise JobFailure(f"{uri} names no commitId: the upsert left no commit to savepoint")
    try:
        return check_instant(commit, "commit instant")
    except ValueError as e:
        raise JobFailure(f"{uri}: {e}") from e


def savepoint_result(load_id: str, dataset: str, plan: SavepointPlan, keep: int, created: Optional[bool] = None) -> dict:
    return {
        "phase": "savepoint",
        "loadId": load_id,
        "dataset": dataset,
        "commitId": plan.commit,
        "created": plan.create if created is None else created,
        "deleted": list(plan.delete),
        "keep": keep,
    }
