"""EMR step: savepoint the Silver commit of a load and keep the newest --keep savepoints.

    spark-submit --deploy-mode cluster --jars <hudi bundle> --py-files s3://<artifacts>/spark-jobs/lakeplane_jobs.zip \
      s3://<artifacts>/spark-jobs/savepoint_table.py --dataset <d> --contract <uri> --load-id <id> \
      --attempt <n> --result <uri> --upsert-result <uri of the upsert step's result> \
      --database <silver db> --keep <n>

See spark-jobs/README.md. The logic is in the lakeplane_jobs package (savepoint.py is pure;
savepoint_job.py runs it).
"""

import sys


def main(argv=None) -> int:
    from lakeplane_jobs.cli import parse_savepoint_table
    from lakeplane_jobs.runner import entry_point

    return entry_point(parse_savepoint_table, argv)


if __name__ == "__main__":
    sys.exit(main())
