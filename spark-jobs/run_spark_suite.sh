#!/usr/bin/env bash
# The real Spark suite of spark-jobs/ (tests_spark/): every job on Spark 3.5.6 local[2] with Hudi 1.0.2
# and Great Expectations 1.8.1, one SparkSession for the whole run. Needs the local toolchain
# (`npm run setup:spark`, which this script runs first: well under a second once installed).
#
#   spark-jobs/run_spark_suite.sh [unittest args, e.g. -k lifecycle]
#
# unittest's own lines ("Ran N tests in ...", "OK" / "FAILED (failures=N, errors=N)") are the last
# lines on stderr; the exit code is unittest's. About 6 minutes on 2 cores.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
MARKER="$(node "$REPO/scripts/setup-spark.mjs" | tail -n 1)"
PYTHON="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).python)' "$MARKER")"
export LAKEPLANE_TOOLCHAIN_JSON="$MARKER"
export TQDM_DISABLE=1  # GX's progress bars
cd "$REPO"
# -W: pyspark's py4j sockets raise ResourceWarnings that unittest would otherwise print by the hundred.
exec "$PYTHON" -W ignore::ResourceWarning -m unittest discover -s spark-jobs/tests_spark -t spark-jobs "$@"
