"""The EMR step command lines (``command-runner.jar`` Args) of the jobs.

This mirrors ``planLoad`` in shared/core/plan.ts, which is what the state machine submits.
"""

from __future__ import annotations

from typing import List, Sequence

from .cli import JobArgs, job_argv

ZIP_NAME = "lakeplane_jobs.zip"
SCRIPTS = {
    "stage": "bronze_to_silver.py",
    "validate": "validate_batch.py",
    "quarantine": "bronze_to_silver.py",
    "upsert": "bronze_to_silver.py",
    "gold": "silver_to_gold.py",
    "rollback": "rollback_table.py",
    "savepoint": "savepoint_table.py",
    "query": "query_table.py",
}


def step_args(
    artifacts_bucket: str,
    args: JobArgs,
    spark_submit_options: Sequence[str] = (),
) -> List[str]:
    """``spark-submit --deploy-mode cluster --py-files <zip> [options] <script> <job args>``.

    ``spark_submit_options`` go before the script, e.g. ``["--jars", EMR_HUDI_BUNDLE]`` when
    the cluster's spark-defaults do not already put the Hudi bundle on the classpath (the
    state machine passes it to the validate step that way).
    """
    scripts = f"s3://{artifacts_bucket}/spark-jobs"
    return [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--py-files",
        f"{scripts}/{ZIP_NAME}",
        *spark_submit_options,
        f"{scripts}/{SCRIPTS[args.phase]}",
        *job_argv(args),
    ]
