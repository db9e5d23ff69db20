"""EMR step: Bronze NDJSON object -> staged Parquet (--phase stage) -> Silver Hudi table (--phase upsert),
or, after a failed quality gate, staged Parquet -> JSON lines in quarantine (--phase quarantine).

    spark-submit --deploy-mode cluster --py-files s3://<artifacts>/spark-jobs/lakeplane_jobs.zip \
      s3://<artifacts>/spark-jobs/bronze_to_silver.py --phase stage|upsert|quarantine ...

See spark-jobs/README.md for the arguments. The logic is in the lakeplane_jobs package;
PySpark is imported only when the job runs (lakeplane_jobs.runner).
"""

import sys


def main(argv=None) -> int:
    from lakeplane_jobs.cli import parse_bronze_to_silver
    from lakeplane_jobs.runner import entry_point

    return entry_point(parse_bronze_to_silver, argv)


if __name__ == "__main__":
    sys.exit(main())
