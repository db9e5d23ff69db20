"""Which row of a key survives a load: the greatest precombine value, then the later line.

The stage job dedupes the typed Bronze batch before ``silver.sql`` when the key and precombine
fields are Bronze columns (they are in every contract so far): there the line number of each
record is known, so a tie on the precombine value goes to the record that came later in the
file. After the SQL it dedupes once more by key and precombine alone, which drops nothing for
a row-for-row SQL and keeps the key unique if the SQL makes duplicates (then a tie is broken
arbitrarily, since the SQL's output has no line numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .contract import Contract

LINE_COLUMN = "_lp_line_no"


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


def order_spec(plan: DedupePlan, with_line: bool) -> Tuple[OrderBy, ...]:
    """The window ordering whose first row per key survives."""
    spec = [OrderBy(plan.precombine)]
    if with_line:
        spec.append(OrderBy(LINE_COLUMN))
    return tuple(spec)


def _sort_key(value: Any) -> Tuple[int, Any]:
    return (0, None) if value is None else (1, value)


def dedupe_rows(
    rows: Iterable[Dict[str, Any]], key: Sequence[str], spec: Sequence[OrderBy]
) -> Tuple[List[Dict[str, Any]], int]:
    """Reference implementation of the dedupe on plain dicts: (survivors in first-seen key order, dropped).

    Only descending, nulls-last orderings are used by the jobs, and only those are supported.
    """
    best: Dict[Tuple[Any, ...], Dict[str, Any]] = {}
    order: List[Tuple[Any, ...]] = []
    count = 0
    for row in rows:
        count += 1
        k = tuple(row.get(f) for f in key)
        current: Optional[Dict[str, Any]] = best.get(k)
        if current is None:
            best[k] = row
            order.append(k)
            continue
        if tuple(_sort_key(row.get(o.column)) for o in spec) > tuple(_sort_key(current.get(o.column)) for o in spec):
            best[k] = row
    survivors = [best[k] for k in order]
    return survivors, count - len(survivors)
