#!/bin/bash
# EMR bootstrap action: installs the Spark jobs' pinned Python packages (spark-jobs/requirements-cluster.txt:
# great-expectations for the validate step, boto3 for the stage step's versioned read) for the
# python3 the jobs run on (PYSPARK_PYTHON in emr/configurations.json). Bootstrap actions run on
# every node, before the applications are installed, and again on every node managed scaling adds;
# a failure here fails the node (the cluster does not start), which is the point: a node without
# these packages would fail every validate step it runs.
#
#   Path: s3://<artifacts>/bootstrap/install-python-packages.sh
#   Args: [s3://<artifacts>/bootstrap/requirements-cluster.txt]   (npm run emr-cluster writes both)
set -euo pipefail

REQUIREMENTS_URI="${1:?usage: install-python-packages.sh s3://<artifacts>/bootstrap/requirements-cluster.txt}"
PYTHON=/usr/bin/python3
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "lakeplane bootstrap: installing ${REQUIREMENTS_URI} for $("$PYTHON" --version 2>&1) ($PYTHON)"
aws s3 cp --only-show-errors "$REQUIREMENTS_URI" "$WORK/requirements-cluster.txt"

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  sudo dnf install -y python3-pip
fi
# Exact pins (==) for every package, dependencies included; pip fails on a version it cannot get.
sudo "$PYTHON" -m pip install --no-cache-dir --disable-pip-version-check -r "$WORK/requirements-cluster.txt"

# Fail here, not in the first validate step, if the packages do not import.
GX_ANALYTICS_ENABLED=False "$PYTHON" -c 'import great_expectations, boto3; print("lakeplane bootstrap: great_expectations", great_expectations.__version__, "boto3", boto3.__version__)'
