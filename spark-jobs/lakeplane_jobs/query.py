"""``lakeplane --stage <s> query --as-of``: one read-only SELECT over a Silver table as it was
right after a commit (pure part of query_table.py).

The dataset's ``silver.<dataset>`` references read a temporary view of the Hudi table at the
instant (Spark SQL time travel, ``TIMESTAMP AS OF``, registered from the DataFrame of that
SELECT: Hudi's SQL parser resolves ``TIMESTAMP AS OF '<instant>'`` only in a query, while in a
``CREATE VIEW ... AS SELECT`` Spark's own analyzer takes the instant for a timestamp literal
and fails, ``INVALID_TIME_TRAVEL_TIMESTAMP_EXPR``); other ``silver.<t>`` / ``gold.<t>``
references read the zone databases as they are now. The statement must be one SELECT (or WITH
... SELECT): the step runs with the cluster's role, which may write the lake.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from .errors import JobFailure
from .rollback import check_instant, checked_table
from .sql_refs import _skip_quoted, rewrite_table_refs

DEFAULT_LIMIT = 1000
_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")


def code_only(sql: str) -> str:
    """The SQL with comments blanked out as spaces and literals and quoted identifiers as ``_``
    (same length), so what is left to read is the statement's own code."""
    out: List[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"', "`"):
            j = _skip_quoted(sql, i, c)
            out.append("_" * (j - i))
            i = j
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
            continue
        out.append(" " * (j - i))
        i = j
    return "".join(out)


def check_read_only(sql: str) -> str:
    """The statement without a trailing ``;``, if it is one SELECT; else JobFailure saying why."""
    code = code_only(sql)
    body = code.rstrip().rstrip(";")
    if ";" in body:
        raise JobFailure("a query as of a commit must be one statement: it contains ';' between statements")
    m = _FIRST_WORD.match(body)
    word = m.group(1).upper() if m else ""
    if word not in ("SELECT", "WITH"):
        raise JobFailure(f"a query as of a commit must be a SELECT (or WITH ... SELECT), not {word or 'empty'}")
    return sql[: len(body)].rstrip()


def as_of_view_name(dataset: str) -> str:
    return f"lakeplane_as_of_{dataset}"


def check_view_name(view: str) -> str:
    if not re.match(r"[a-z_][a-z0-9_]*\Z", view):
        raise ValueError(f"{view!r} is not a view name")
    return view


def as_of_sql(table: str, instant: str) -> str:
    """The SELECT of the whole table as it was right after ``instant`` (Hudi time travel)."""
    return f"SELECT * FROM {checked_table(table)} TIMESTAMP AS OF '{check_instant(instant)}'"


@dataclass(frozen=True)
class QueryPlan:
    view: str  # the temporary view the dataset's references read
    as_of: str  # the time-travel SELECT whose DataFrame is registered as ``view``
    select: str  # the user's SELECT with its references rewritten


def plan_query(sql: str, dataset: str, table: str, instant: str, silver_db: str, gold_db: str) -> QueryPlan:
    statement = check_read_only(sql)
    view = check_view_name(as_of_view_name(dataset))
    rewritten, refs = rewrite_table_refs(
        statement, {"silver": silver_db, "gold": gold_db}, {("silver", dataset.lower()): view}
    )
    if not any(r.zone == "silver" and r.table.lower() == dataset.lower() for r in refs):
        raise JobFailure(f"the query does not read silver.{dataset}, the table --as-of applies to")
    return QueryPlan(view, as_of_sql(table, instant), rewritten)


def resolve_instant(instant: str, active_commits: List[str]) -> str:
    """The commit a query as of ``instant`` reads: the newest commit of the active timeline at or
    before it. Hudi's time travel reads that one too, but silently, so a result labelled with the
    asked instant (a time, or a commit a rollback removed) would name data it is not; the result
    names this one. An instant before every active commit is kept (archived commits, which Hudi
    still reads while their files last)."""
    earlier = [c for c in active_commits if c <= instant]
    return max(earlier) if earlier else instant


def json_value(value: Any) -> Any:
    """A Spark row value as JSON: times as ISO text, decimals as text (exact), bytes as base64."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def query_result(
    load_id: str, dataset: str, instant: str, columns: List[str], rows: List[Dict[str, Any]], limit: int
) -> Dict[str, Any]:
    return {
        "phase": "query",
        "loadId": load_id,
        "dataset": dataset,
        "asOf": instant,
        "columns": list(columns),
        "rows": [{c: json_value(r.get(c)) for c in columns} for r in rows[:limit]],
        "truncated": len(rows) > limit,
    }
