"""Where a Gold table's data goes and how its Glue table is switched to it.

Gold tables are plain Parquet (not Hudi). Each run writes the whole table to a new directory
``<gold-path>/<table>/<run>/`` and then points the Glue table at it with one
``ALTER TABLE ... SET LOCATION`` (a single Glue UpdateTable call), so readers see either the
old or the new table, never a half-written one, and a failed run leaves the old table in
place. Older run directories beyond the previous one are deleted afterwards (the previous
one is kept for queries that were planned against it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import List, Optional, Sequence, Tuple

from .paths import join_uri
from .sql_refs import quote_identifier

RUN_DIR = re.compile(r"\d{8}T\d{9}Z-[A-Za-z0-9._-]+\Z")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def gold_table_uri(gold_path: str, table: str) -> str:
    return join_uri(gold_path, table) + "/"


def run_dir_name(load_id: str, now: dt.datetime) -> str:
    """``<UTC yyyymmddThhmmssmmm>Z-<load id>``: sorts by time, names the load."""
    utc = now.astimezone(dt.timezone.utc) if now.tzinfo else now
    stamp = utc.strftime("%Y%m%dT%H%M%S") + f"{utc.microsecond // 1000:03d}Z"
    return f"{stamp}-{_UNSAFE.sub('_', load_id)}"


def runs_to_delete(existing: Sequence[str], current: str, keep: int = 2) -> List[str]:
    """Run directories to delete: all but the newest ``keep`` (which include ``current``).

    Only names of the run-directory form are considered, so nothing else under the table
    prefix is ever deleted, and ``current`` never is.
    """
    runs = sorted({n.rstrip("/") for n in existing if RUN_DIR.match(n.rstrip("/"))} | {current})
    older = [n for n in runs if n < current]
    kept_older = older[-(keep - 1):] if keep > 1 else []
    return [n for n in older if n not in kept_older]


def table_action(existing: Optional[Sequence[Tuple[str, str]]], new: Sequence[Tuple[str, str]]) -> str:
    """How to register the new run: ``create`` (no table), ``set_location`` (same columns), or
    ``replace`` (the columns changed: drop and create, the one moment readers can miss the table).

    Columns are (name, Spark type) pairs; names compare case-insensitively, as Glue stores them.
    """
    if existing is None:
        return "create"
    norm = lambda cols: [(n.lower(), t.lower()) for n, t in cols]  # noqa: E731
    return "set_location" if norm(existing) == norm(new) else "replace"


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def qualified(database: str, table: str) -> str:
    return f"{quote_identifier(database)}.{quote_identifier(table)}"


def set_location_sql(database: str, table: str, location: str) -> str:
    return f"ALTER TABLE {qualified(database, table)} SET LOCATION {sql_string(location)}"


def create_table_sql(database: str, table: str, columns: Sequence[Tuple[str, str]], location: str) -> str:
    cols = ", ".join(f"`{n.replace('`', '``')}` {t}" for n, t in columns)
    return f"CREATE TABLE {qualified(database, table)} ({cols}) USING parquet LOCATION {sql_string(location)}"


def create_database_sql(database: str) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}"


def drop_table_sql(database: str, table: str) -> str:
    return f"DROP TABLE IF EXISTS {qualified(database, table)}"
