"""EMR step: return the Silver Hudi table of a dataset to an earlier instant (``lakeplane rollback``).

    spark-submit --deploy-mode cluster --py-files s3://<artifacts>/spark-jobs/lakeplane_jobs.zip \
      s3://<artifacts>/spark-jobs/rollback_table.py --dataset <d> --contract <uri> --load-id <rollback id> \
      --attempt <n> --result <uri> --silver-path <uri> --database <silver db> \
      (--to-instant <instant> | --savepoint <instant>) [--dry-run]

See spark-jobs/README.md. The logic is in the lakeplane_jobs package (rollback.py is pure;
rollback_job.py runs it); PySpark is imported only when the job runs (lakeplane_jobs.runner).
"""

import sys


def main(argv=None) -> int:
    from lakeplane_jobs.cli import parse_rollback_table
    from lakeplane_jobs.runner import entry_point

    return entry_point(parse_rollback_table, argv)


if __name__ == "__main__":
    sys.exit(main())
