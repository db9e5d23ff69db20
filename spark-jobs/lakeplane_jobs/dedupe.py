"""Which row of a key survives a load: the greatest precombine value, then the later object, then the later line.

The stage job dedupes the typed Bronze batch before ``silver.sql`` when the key and precombine
fields are Bronze columns (they are in every contract so far): there the position of each
record is known (the index of its object in the load's manifest, its line number in the
object), so a tie on the precombine value goes to the record that landed later: the later
object of the manifest (objects are in landing order), then the later line of that object. After the SQL it dedupes once more by key and precombine alone, which drops nothing for
a row-for-row SQL and keeps the key unique if the SQL makes duplicates (then a tie is broken
arbitrarily, since the SQL's output has no line numbers).

Rows with no record key (any key field null) are left out of both dedupes and all kept: they
are not duplicates of one another, and each must reach the quality gate, whose implicit
``expect_column_values_to_not_be_null`` on the key fields then counts every one of them and
stops the batch. (Grouping them under a null key would keep one and hide the rest.) The upsert
refuses a staged batch that still has such rows (:func:`null_key_condition`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .contract import Contract

LINE_COLUMN = "_lp_line_no"
OBJECT_COLUMN = "_lp_object"
"""The index of a record's object in the load's manifest (0 for the first; a one-object load is all 0)."""


@dataclass(frozen=True)
class OrderBy:
    column: str
    descending: bool = True
    nulls_last: bool = True


@dataclass(frozen=True)
class DedupePlan:
    key: Tuple[str, ...]
    precombine: str
    before_sql: bool
    """Whether the typed batch is deduped before silver.sql (key and precombine are Bronze columns)."""


def dedupe_plan(contract: Contract) -> DedupePlan:
    names = [contract.column(k) for k in contract.key]
    pre = contract.column(contract.precombine)
    if all(c is not None for c in names) and pre is not None:
        return DedupePlan(tuple(c.name for c in names if c is not None), pre.name, True)
    return DedupePlan(tuple(contract.key), contract.precombine, False)


def order_spec(plan: DedupePlan, with_line: bool, with_object: bool = False) -> Tuple[OrderBy, ...]:
    """The window ordering whose first row per key survives.

    ``with_object`` (the stage passes it with ``with_line`` for the typed batch) puts the later
    object of the manifest before the later line: a line number only orders records of one object.
    """
    spec = [OrderBy(plan.precombine)]
    if with_object:
        spec.append(OrderBy(OBJECT_COLUMN))
    if with_line:
        spec.append(OrderBy(LINE_COLUMN))
    return tuple(spec)


def null_key_condition(key: Sequence[str]) -> str:
    """The Spark SQL condition that is true for a row with no record key (any key field null).

    ``IS NULL`` is never null itself, so ``NOT (<condition>)`` selects exactly the keyed rows.
    """
    if not key:
        raise ValueError("a record key needs at least one field")
    # Always backquoted (as hudi.delete_flag_expression does): a field may be named like a keyword.
    return " OR ".join("`" + k.replace("`", "``") + "` IS NULL" for k in key)


def has_null_key(row: Dict[str, Any], key: Sequence[str]) -> bool:
    """Whether the row has no record key (any key field missing or null)."""
    return any(row.get(f) is None for f in key)


def _sort_key(value: Any) -> Tuple[int, Any]:
    return (0, None) if value is None else (1, value)


def dedupe_rows(
    rows: Iterable[Dict[str, Any]], key: Sequence[str], spec: Sequence[OrderBy]
) -> Tuple[List[Dict[str, Any]], int]:
    """Reference implementation of the dedupe on plain dicts: (survivors in first-seen key order, dropped).

    A row with no record key (:func:`has_null_key`) is not deduped: every such row survives,
    in its own place. Only descending, nulls-last orderings are used by the jobs, and only
    those are supported.
    """
    best: Dict[Tuple[Any, ...], Dict[str, Any]] = {}
    # In first-seen order: the key of a keyed row, or the row itself for a row with no key.
    order: List[Tuple[bool, Any]] = []
    count = 0
    for row in rows:
        count += 1
        if has_null_key(row, key):
            order.append((False, row))
            continue
        k = tuple(row.get(f) for f in key)
        current: Optional[Dict[str, Any]] = best.get(k)
        if current is None:
            best[k] = row
            order.append((True, k))
            continue
        if tuple(_sort_key(row.get(o.column)) for o in spec) > tuple(_sort_key(current.get(o.column)) for o in spec):
            best[k] = row
    survivors = [best[item] if keyed else item for keyed, item in order]
    return survivors, count - len(survivors)
