"""The query step on Spark: a temporary view of the table at the instant, the SELECT, the rows."""

from __future__ import annotations

from typing import Any, Dict

from .cli import QueryArgs
from .contract import Contract
from .query import plan_query, query_result
from .rollback import table_identifier


def run_query(spark: Any, args: QueryArgs, contract: Contract) -> Dict[str, Any]:
    table = table_identifier(args.database, contract.name)
    view_sql, select = plan_query(args.sql, contract.name, table, args.as_of, args.database, args.gold_database)
    spark.sql(view_sql)
    df = spark.sql(select)
    rows = [r.asDict(recursive=True) for r in df.limit(args.limit + 1).collect()]
    return query_result(args.load_id, contract.name, args.as_of, list(df.columns), rows, args.limit)
