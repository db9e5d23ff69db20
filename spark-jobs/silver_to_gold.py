"""EMR step: rebuild the Gold tables of one dataset from Silver.

    spark-submit --deploy-mode cluster --py-files s3://<artifacts>/spark-jobs/lakeplane_jobs.zip \
      s3://<artifacts>/spark-jobs/silver_to_gold.py ...

See spark-jobs/README.md for the arguments. The logic is in the lakeplane_jobs package;
PySpark is imported only when the job runs (lakeplane_jobs.runner).
"""

import sys


def main(argv=None) -> int:
    from lakeplane_jobs.cli import parse_silver_to_gold
    from lakeplane_jobs.runner import entry_point

    return entry_point(parse_silver_to_gold, argv)


if __name__ == "__main__":
    sys.exit(main())
