"""The rollback step on Spark: read the commits and savepoints, choose the procedure, run it, check.

The choice and the SQL are pure (lakeplane_jobs.rollback); this module only runs them.
"""

from __future__ import annotations

from typing import Any, Dict, List

from . import spark_io
from .cli import RollbackArgs
from .contract import Contract
from .errors import JobFailure
from .hudi import TIMELINE_DIRS, completed_writes, hudi_missing_message
from .paths import join_uri
from .savepoint import delete_savepoint_sql
from .rollback import (
    change_counts,
    change_counts_sql,
    plan_rollback,
    procedure_succeeded,
    rollback_result,
    show_commits_sql,
    show_savepoints_sql,
    table_identifier,
)


def _column(rows: List[Any], name: str) -> List[str]:
    return [str(r[name]) for r in rows if r[name] is not None]


def timeline_instants(spark: Any, base_path: str) -> List[str]:
    """Completed write instants from the table's timeline files (both layouts)."""
    names: List[str] = []
    for d in TIMELINE_DIRS:
        names += spark_io.list_names(spark, join_uri(base_path, d), directories=False)
    return [e.instant for e in completed_writes(names)]


def run_rollback(spark: Any, args: RollbackArgs, contract: Contract) -> Dict[str, Any]:
    if spark_io.hudi_table_version(spark) is None:
        raise JobFailure(hudi_missing_message())
    table = table_identifier(args.database, contract.name)
    commits = _column(spark.sql(show_commits_sql(table)).collect(), "commit_time")
    savepoints = _column(spark.sql(show_savepoints_sql(table)).collect(), "savepoint_time")
    plan = plan_rollback(table, commits, savepoints, to_instant=args.to_instant, savepoint=args.savepoint)
    # What the rollback changes, counted before it runs (the dry run's answer too).
    counts = change_counts(spark.sql(change_counts_sql(table, plan.to_instant)).collect()[0])
    if args.dry_run or plan.sql is None:
        return rollback_result(args.load_id, contract.name, plan, args.dry_run, counts)

    for stale in plan.stale_savepoints:
        if not procedure_succeeded(spark.sql(delete_savepoint_sql(table, stale)).collect()):
            raise JobFailure(f"{table}: delete_savepoint of {stale} (after the target) returned false; the rollback did not run")
    rows = spark.sql(plan.sql).collect()
    if not procedure_succeeded(rows):
        raise JobFailure(f"{table}: {plan.procedure} returned false (Hudi refused; see the driver log): {plan.sql}")
    # Check on the files at --silver-path (not only through the catalog) that nothing is left after the target.
    left = [i for i in timeline_instants(spark, args.silver_path.rstrip("/")) if i in plan.commits_rolled_back]
    if left:
        raise JobFailure(
            f"{table}: {plan.procedure} reported success but {', '.join(left)} still on the timeline at "
            f"{args.silver_path} (is the Glue table {table} at another location?)"
        )
    return rollback_result(args.load_id, contract.name, plan, args.dry_run, counts)
