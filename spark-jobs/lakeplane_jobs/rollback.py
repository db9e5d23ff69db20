"""Returning a Silver Hudi table to an earlier instant with Hudi's Spark SQL procedures (pure part).

The procedures (Hudi 0.14/0.15 and 1.x, ``org.apache.spark.sql.hudi.command.procedures``):

- ``CALL show_commits(table => 't', limit => n)``: completed instants of the commits timeline,
  newest first, column ``commit_time``; ``limit`` defaults to 10, so the job passes a large one.
- ``CALL show_savepoints(table => 't', limit => n)``: column ``savepoint_time``. Hudi 1.0.2's
  procedure declares no ``limit`` (it lists them all) and ignores the argument; newer Hudi
  releases cap this listing too, at 10 by default, so the job passes the same large limit.
- ``CALL create_savepoint(table => 't', commit_time => 'i')``: the instant must be a completed
  commit; returns false (does not raise) when Hudi refuses.
- ``CALL rollback_to_savepoint(table => 't', instant_time => 'i')``: a *restore*
  (``restoreToSavepoint``): every instant after the savepoint is rolled back; the savepoint must
  exist. Returns false (does not raise) on a ``HoodieSavepointException``.
- ``CALL rollback_to_instant(table => 't', instant_time => 'i')``: rolls back that one instant
  (``client.rollback``); only the latest commit can be rolled back, one at a time.

So: a target with a savepoint is reached with ``rollback_to_savepoint``; a target one commit behind the latest with
``rollback_to_instant`` on that latest commit; anything else is refused, naming the nearest
savepoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from .errors import JobFailure

INSTANT = re.compile(r"\d{14,17}\Z")
IDENTIFIER_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}\Z")
PLAIN_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# show_commits (and, after Hudi 1.0, show_savepoints) return at most ``limit`` rows (default
# 10); the active timeline is far shorter than this.
SHOW_COMMITS_LIMIT = 100000
SHOW_LIMIT = SHOW_COMMITS_LIMIT

ROLLBACK_TO_SAVEPOINT = "rollback_to_savepoint"
ROLLBACK_TO_INSTANT = "rollback_to_instant"


def check_instant(value: str, what: str = "instant") -> str:
    if not isinstance(value, str) or not INSTANT.match(value):
        raise ValueError(f"{value!r} is not a Hudi {what} (14 to 17 digits, e.g. 20250102030405678)")
    return value


def table_identifier(database: str, table: str) -> str:
    """``database.table`` for the procedures' ``table`` argument (parsed by Spark as a table
    identifier); a part that is not a plain identifier (a Glue name with ``-``) is back-quoted."""
    parts = []
    for what, part in (("database", database), ("table", table)):
        if not isinstance(part, str) or not IDENTIFIER_PART.match(part):
            raise ValueError(f"{part!r} is not a {what} name (letters, digits, '_', '-')")
        parts.append(part if PLAIN_PART.match(part) else f"`{part}`")
    return ".".join(parts)


def checked_table(table: str) -> str:
    # ``table`` comes from table_identifier; re-check so no caller can put a quote in the SQL.
    if not re.match(r"(?:[A-Za-z0-9_]+|`[A-Za-z0-9_-]+`)\.(?:[A-Za-z0-9_]+|`[A-Za-z0-9_-]+`)\Z", table):
        raise ValueError(f"{table!r} is not a database.table identifier (build it with table_identifier)")
    return table


def table_arg(table: str) -> str:
    return f"table => '{checked_table(table)}'"


def change_counts_sql(table: str, instant: str) -> str:
    """What returning ``table`` to the state right after ``instant`` changes, counted by record:
    rows now and after, and records removed (only now), restored (only then) and reverted (in
    both, written by different commits: ``_hoodie_commit_seqno`` differs). Reads the table as of
    the instant with Spark SQL time travel (``TIMESTAMP AS OF``, Hudi 0.14+ on Spark 3.2+)."""
    t = checked_table(table)
    i = check_instant(instant)
    cols = "_hoodie_record_key AS k, _hoodie_partition_path AS p, _hoodie_commit_seqno AS v"
    return (
        "SELECT count(c.k) AS rows_before, count(t.k) AS rows_after, "
        "count_if(t.k IS NULL) AS removed, count_if(c.k IS NULL) AS restored, "
        "count_if(c.k IS NOT NULL AND t.k IS NOT NULL AND c.v <> t.v) AS reverted "
        f"FROM (SELECT {cols} FROM {t}) c "
        f"FULL OUTER JOIN (SELECT {cols} FROM {t} TIMESTAMP AS OF '{i}') t ON c.k = t.k AND c.p = t.p"
    )


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return limit


def show_commits_sql(table: str, limit: int = SHOW_LIMIT) -> str:
    return f"CALL show_commits({table_arg(table)}, limit => {_limit(limit)})"


def show_savepoints_sql(table: str, limit: int = SHOW_LIMIT) -> str:
    return f"CALL show_savepoints({table_arg(table)}, limit => {_limit(limit)})"


def savepoint_sql(table: str, instant: str) -> str:
    """``create_savepoint`` of a completed commit (what the upsert step can run after its commit)."""
    return f"CALL create_savepoint({table_arg(table)}, commit_time => '{check_instant(instant, 'commit instant')}')"


def rollback_to_savepoint_sql(table: str, savepoint: str) -> str:
    return f"CALL {ROLLBACK_TO_SAVEPOINT}({table_arg(table)}, instant_time => '{check_instant(savepoint, 'savepoint')}')"


def rollback_to_instant_sql(table: str, instant: str) -> str:
    return f"CALL {ROLLBACK_TO_INSTANT}({table_arg(table)}, instant_time => '{check_instant(instant)}')"


def instant_order(instant: str) -> str:
    """Orders instants of 14 (seconds) and 17 (milliseconds) digits the way Hudi does (a
    14-digit instant counts as its last millisecond, ``999``)."""
    return instant + "999" if len(instant) == 14 else instant.ljust(17, "0")


def _sorted(instants: Iterable[str], what: str) -> List[str]:
    return sorted({check_instant(i, what) for i in instants}, key=instant_order)


@dataclass(frozen=True)
class RollbackPlan:
    to_instant: str
    savepoint: Optional[str]
    procedure: Optional[str]  # None: nothing to roll back
    sql: Optional[str]
    commits_rolled_back: Tuple[str, ...]
    # Savepoints after the target, deleted before the procedure runs: Hudi will not roll back a
    # savepointed commit, and a restore with newer savepoints left is unreliable (HUDI-3062).
    stale_savepoints: Tuple[str, ...] = ()


def _savepoint_hint(savepoints: Sequence[str], target: str, commits: Sequence[str]) -> str:
    before = [s for s in savepoints if instant_order(s) <= instant_order(target)]
    after = [s for s in savepoints if instant_order(s) > instant_order(target)]
    if before:
        sp = before[-1]
        lost = [c for c in commits if instant_order(sp) < instant_order(c) <= instant_order(target)]
        return (
            f"the nearest savepoint before it is {sp} (restoring it would also roll back "
            f"{len(lost)} commit{'s' if len(lost) != 1 else ''} up to {target}: pass --savepoint {sp} to accept that)"
        )
    if after:
        return f"the table has no savepoint at or before it (the nearest is {after[0]}, which is after it)"
    return "the table has no savepoints"


def plan_rollback(
    table: str,
    commits: Iterable[str],
    savepoints: Iterable[str],
    to_instant: Optional[str] = None,
    savepoint: Optional[str] = None,
) -> RollbackPlan:
    """Which procedure returns ``table`` to the state right after ``to_instant`` (or restores
    ``savepoint``), given its completed commits and savepoints; raises JobFailure when none can."""
    if (to_instant is None) == (savepoint is None):
        raise ValueError("give exactly one of to_instant and savepoint")
    commit_list = _sorted(commits, "commit instant")
    savepoint_list = _sorted(savepoints, "savepoint")

    if savepoint is not None:
        check_instant(savepoint, "savepoint")
        if savepoint not in savepoint_list:
            nearest = _savepoint_hint(savepoint_list, savepoint, commit_list)
            raise JobFailure(f"{table}: {savepoint} is not a savepoint of the table; {nearest}")
        after = tuple(c for c in commit_list if instant_order(c) > instant_order(savepoint))
        if not after:
            return RollbackPlan(savepoint, savepoint, None, None, ())
        return RollbackPlan(
            savepoint, savepoint, ROLLBACK_TO_SAVEPOINT, rollback_to_savepoint_sql(table, savepoint), after,
            _newer(savepoint_list, savepoint),
        )

    assert to_instant is not None
    target = check_instant(to_instant, "instant")
    if target not in commit_list and target not in savepoint_list:
        latest = ", ".join(commit_list[-3:]) or "none"
        raise JobFailure(
            f"{table}: {target} is not a completed commit on the table's active timeline (latest commits: {latest})"
        )
    after = tuple(c for c in commit_list if instant_order(c) > instant_order(target))
    if not after:
        return RollbackPlan(target, None, None, None, ())
    # A savepoint is always on a commit, so an earlier savepoint has the target (a commit) between
    # it and the target: restoring it would undo more than asked. Only one at the target will do.
    if target in savepoint_list:
        return RollbackPlan(
            target, target, ROLLBACK_TO_SAVEPOINT, rollback_to_savepoint_sql(table, target), after,
            _newer(savepoint_list, target),
        )
    if len(after) == 1:
        return RollbackPlan(
            target, None, ROLLBACK_TO_INSTANT, rollback_to_instant_sql(table, after[0]), after,
            _newer(savepoint_list, target),
        )
    raise JobFailure(
        f"{table}: cannot return to {target}: {len(after)} commits are after it ({after[0]} ... {after[-1]}), "
        f"rollback_to_instant rolls back only the latest commit, and there is no savepoint at {target}; "
        + _savepoint_hint(savepoint_list, target, commit_list)
    )


def _newer(savepoints: Sequence[str], target: str) -> Tuple[str, ...]:
    return tuple(s for s in savepoints if instant_order(s) > instant_order(target))


def procedure_succeeded(rows: Sequence[object]) -> bool:
    """The procedures answer one row with one boolean (``rollback_result`` /
    ``rollback_savepoint_result`` / ``create_savepoint_result``); false means Hudi refused."""
    if len(rows) != 1:
        return False
    try:
        value = rows[0][0]  # type: ignore[index]
    except (IndexError, KeyError, TypeError):
        return False
    return value is True


def rollback_result(
    load_id: str, dataset: str, plan: RollbackPlan, dry_run: bool, counts: Optional[dict] = None
) -> dict:
    return {
        **(counts or {}),
        "savepointsDeleted": [] if dry_run else list(plan.stale_savepoints),
        "phase": "rollback",
        "loadId": load_id,
        "dataset": dataset,
        "toInstant": plan.to_instant,
        "savepoint": plan.savepoint,
        "dryRun": bool(dry_run),
        "commitsRolledBack": list(plan.commits_rolled_back),
    }


COUNT_COLUMNS = {"rows_before": "rowsBefore", "rows_after": "rowsAfter", "removed": "removed", "restored": "restored", "reverted": "reverted"}


def change_counts(row: object) -> dict:
    """The row of ``change_counts_sql`` as the result's fields (camelCase, ints)."""
    out = {}
    for column, field in COUNT_COLUMNS.items():
        value = row[column]  # type: ignore[index]
        out[field] = int(value or 0)
    return out
