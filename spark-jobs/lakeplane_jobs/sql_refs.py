"""Rewriting ``silver.<table>`` / ``gold.<table>`` references of contract SQL to Glue databases.

Contract SQL names tables by zone (``FROM silver.orders``); on EMR the zones are Glue
databases whose names depend on the deployment. The rewrite touches only references in SQL
code: string literals ('...' and "..."), backquoted identifiers and comments are copied
unchanged, and a zone word must stand alone: ``silver_x.orders``, ``xsilver.orders`` and
``my.silver.orders`` are not zone references (``silver.orders_x`` is one, to table
``orders_x``). Whitespace around
the dot is allowed, as in the TypeScript reference scanner (shared/core/contract/sql-refs.ts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

_REF = re.compile(r"(silver|gold)\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9_$]")
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class TableRef:
    zone: str  # "silver" or "gold", lower case
    table: str  # as written


def quote_identifier(name: str) -> str:
    """The name as Spark SQL takes it: bare when it is a plain identifier, else backquoted."""
    if _PLAIN_IDENTIFIER.match(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def _skip_quoted(sql: str, i: int, quote: str) -> int:
    """Index just past the literal or quoted identifier that starts at i."""
    n = len(sql)
    j = i + 1
    while j < n:
        c = sql[j]
        if c == "\\" and quote != "`":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and sql[j + 1] == quote:  # doubled quote: an escaped quote
                j += 2
                continue
            return j + 1
        j += 1
    return n


def rewrite_table_refs(
    sql: str, databases: Dict[str, str], tables: Optional[Dict[Tuple[str, str], str]] = None
) -> Tuple[str, List[TableRef]]:
    """Rewrites zone references to ``<database>.<table>``.

    ``databases`` maps a zone ("silver", "gold") to its database; references to a zone not in
    the map are left as written. ``tables`` maps one (zone, lower-case table) to an identifier
    written instead (e.g. a temporary view). Returns the SQL and every reference found, in order.
    """
    out: List[str] = []
    refs: List[TableRef] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"', "`"):
            j = _skip_quoted(sql, i, c)
            out.append(sql[i:j])
            i = j
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
            continue
        if c in "sSgG" and (i == 0 or not (_WORD.match(sql[i - 1]) or sql[i - 1] == ".")):
            m = _REF.match(sql, i)
            if m and (m.end() == n or not _WORD.match(sql[m.end()])):
                zone, table = m.group(1).lower(), m.group(2)
                refs.append(TableRef(zone, table))
                if tables and (zone, table.lower()) in tables:
                    out.append(tables[(zone, table.lower())])
                elif zone in databases:
                    out.append(f"{quote_identifier(databases[zone])}.{table}")
                else:
                    out.append(m.group(0))
                i = m.end()
                continue
        # copy a whole word at once so that "xsilver.orders" is never split mid-word
        if _WORD.match(c):
            j = i + 1
            while j < n and _WORD.match(sql[j]):
                j += 1
            out.append(sql[i:j])
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out), refs


def rewrite_silver_refs(sql: str, silver_database: str) -> str:
    """``silver.<t>`` -> ``<silver_database>.<t>`` (gold references untouched)."""
    return rewrite_table_refs(sql, {"silver": silver_database})[0]
