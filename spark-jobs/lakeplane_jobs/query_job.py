"""The query step on Spark: a temporary view of the table at the commit the instant resolves to
(query.resolve_instant), the SELECT, the rows; the result names that commit.

The view is registered from the DataFrame of the time-travel SELECT (``createOrReplaceTempView``),
not with ``CREATE TEMPORARY VIEW ... AS``, which Spark 3.5 + Hudi 1.0 refuse (see query.py)."""

from __future__ import annotations

from typing import Any, Dict

from .cli import QueryArgs
from .contract import Contract
from .query import plan_query, query_result, resolve_instant
from .rollback import show_commits_sql, table_identifier


def run_query(spark: Any, args: QueryArgs, contract: Contract) -> Dict[str, Any]:
    table = table_identifier(args.database, contract.name)
    commits = [str(r["commit_time"]) for r in spark.sql(show_commits_sql(table)).collect()]
    instant = resolve_instant(args.as_of, commits)
    plan = plan_query(args.sql, contract.name, table, instant, args.database, args.gold_database)
    spark.sql(plan.as_of).createOrReplaceTempView(plan.view)
    df = spark.sql(plan.select)
    rows = [r.asDict(recursive=True) for r in df.limit(args.limit + 1).collect()]
    return query_result(args.load_id, contract.name, instant, list(df.columns), rows, args.limit)
