"""EMR step: one read-only SELECT over a Silver table as it was right after a commit.

    spark-submit --deploy-mode cluster --jars <hudi bundle> --py-files s3://<artifacts>/spark-jobs/lakeplane_jobs.zip \
      s3://<artifacts>/spark-jobs/query_table.py --dataset <d> --contract <uri> --load-id <query id> \
      --attempt 1 --result <uri> --database <silver db> --gold-database <gold db> \
      --as-of <instant> --sql "<SELECT ...>" --limit <n>

See spark-jobs/README.md. The logic is in the lakeplane_jobs package (query.py is pure;
query_job.py runs it).
"""

import sys


def main(argv=None) -> int:
    from lakeplane_jobs.cli import parse_query_table
    from lakeplane_jobs.runner import entry_point

    return entry_point(parse_query_table, argv)


if __name__ == "__main__":
    sys.exit(main())
