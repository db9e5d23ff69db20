"""EMR step: validate the staged batch of one load with Great Expectations (GX Core 1.x) on Spark.

    spark-submit --deploy-mode cluster --py-files s3://<artifacts>/spark-jobs/lakeplane_jobs.zip \
      s3://<artifacts>/spark-jobs/validate_batch.py --dataset <d> --contract <uri> --load-id <id> \
      --attempt <n> --result <uri> --staging <uri>

Writes the GX validation result JSON to --result and exits 0 whether the expectations passed or
not (the gate decides); exits 1 only when it could not validate. See spark-jobs/README.md. The
logic is in the lakeplane_jobs package; PySpark and great_expectations are imported only when
the job runs (lakeplane_jobs.validate_job).
"""

import sys


def main(argv=None) -> int:
    from lakeplane_jobs.cli import parse_validate_batch
    from lakeplane_jobs.runner import entry_point

    return entry_point(parse_validate_batch, argv)


if __name__ == "__main__":
    sys.exit(main())
