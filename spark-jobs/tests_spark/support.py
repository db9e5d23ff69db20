"""What the real Spark suite shares: one SparkSession, the scratch lake, running a job by its script.

The session (local[2], the Hudi 1.0.2 bundle, Hive support with an embedded Derby metastore) is
built once, by the first test that asks, and stopped when the interpreter exits; every module
uses it. Building it takes about 7 s here, and the metastore's first use about 10 s more (Derby
creates its schema). Run the suite with the toolchain's python (``npm run setup:spark``):

    spark-jobs/run_spark_suite.sh
    # or: <venv>/bin/python -m unittest discover -s spark-jobs/tests_spark -t spark-jobs

Jobs run as an EMR step runs them: the script's parser (``lakeplane_jobs.runner.script_parser``)
reads the step's arguments and ``lakeplane_jobs.runner.run_job`` runs them, with the shipped
contracts (``tests/fixtures/*.json``: ``datasets/*.yaml`` exported with defaults applied, which
``tests/test_contract_sync.py`` checks) and ``file://`` URIs under one scratch directory.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SPARK_JOBS = os.path.dirname(HERE)
REPO = os.path.dirname(SPARK_JOBS)
FIXTURES = os.path.join(SPARK_JOBS, "tests", "fixtures")

if SPARK_JOBS not in sys.path:
    sys.path.insert(0, SPARK_JOBS)

_session: Any = None
_toolchain: Optional[Dict[str, Any]] = None
_work: Optional[str] = None


def toolchain() -> Dict[str, Any]:
    """toolchain.json of ``npm run setup:spark`` (``$LAKEPLANE_TOOLCHAIN_JSON`` names it, else the script is asked)."""
    global _toolchain
    if _toolchain is None:
        path = os.environ.get("LAKEPLANE_TOOLCHAIN_JSON")
        if path:
            with open(path, encoding="utf-8") as f:
                _toolchain = json.load(f)
        else:
            out = subprocess.run(
                ["node", os.path.join(REPO, "scripts", "setup-spark.mjs"), "--print"],
                capture_output=True, text=True, timeout=60,
            )
            if out.returncode != 0:
                raise RuntimeError(f"the local Spark toolchain is not installed: npm run setup:spark ({out.stderr.strip()})")
            _toolchain = json.loads(out.stdout)
    return _toolchain


def work_dir() -> str:
    """The run's scratch directory (metastore, warehouse, lake), removed at exit unless
    ``$LAKEPLANE_KEEP_SPARK_SUITE_DIR`` is set."""
    global _work
    if _work is None:
        _work = tempfile.mkdtemp(prefix="lakeplane-spark-suite-")
        if not os.environ.get("LAKEPLANE_KEEP_SPARK_SUITE_DIR"):
            atexit.register(shutil.rmtree, _work, True)
    return _work


def path(*parts: str) -> str:
    return os.path.join(work_dir(), *parts)


def uri(*parts: str) -> str:
    """``file://`` URI of a path under the scratch directory (a trailing ``/`` is kept)."""
    return "file://" + path(*parts)


def contract_uri(name: str) -> str:
    return "file://" + os.path.join(FIXTURES, f"{name}.json")


def fixture_document(name: str) -> Dict[str, Any]:
    with open(os.path.join(FIXTURES, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def write_text(rel: str, text: str) -> str:
    """Writes a file under the scratch directory; returns its file:// URI."""
    p = path(rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return "file://" + p


def write_ndjson(rel: str, lines: List[Any]) -> str:
    """Bronze NDJSON: dicts as JSON objects, strings as they are (bad lines, blank lines)."""
    return write_text(rel, "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))


def read_json(file_uri: str) -> Any:
    with open(file_uri[len("file://"):], encoding="utf-8") as f:
        return json.load(f)


def session() -> Any:
    global _session
    if _session is not None:
        return _session
    from lakeplane_jobs.hudi import HUDI_SPARK_CONF
    from pyspark.sql import SparkSession

    tc = toolchain()
    os.environ.setdefault("JAVA_HOME", tc["javaHome"])
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["TZ"] = "UTC"
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    spark_dir = path("spark")
    os.makedirs(spark_dir, exist_ok=True)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("lakeplane spark-jobs suite")
        .config("spark.jars", tc["hudiJar"])
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.warehouse.dir", os.path.join(spark_dir, "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={os.path.join(spark_dir, 'metastore_db')};create=true",
        )
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.stream.error.file={os.path.join(spark_dir, 'derby.log')} -Duser.timezone=UTC",
        )
        .enableHiveSupport()
    )
    for k, v in HUDI_SPARK_CONF.items():
        builder = builder.config(k, v)
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    atexit.register(_session.stop)
    # The executors' python gets the package as on EMR: the --py-files zip (build_zip.py).
    import build_zip

    _session.sparkContext.addPyFile(build_zip.build(os.path.join(spark_dir, "lakeplane_jobs.zip")))
    return _session


def run_step(script: str, *argv: str) -> Tuple[int, Any, str]:
    """Runs one job as its EMR step would: (exit code, the --result JSON or None, what it printed).

    An argument error is exit 2 (no result). The SparkSession is left running for the next step.
    """
    from lakeplane_jobs import runner
    from lakeplane_jobs.errors import JobArgumentError

    session()
    args_list = list(argv)
    try:
        args = runner.script_parser(script)(args_list)
    except JobArgumentError as e:
        return 2, None, str(e)
    out = io.StringIO()
    started = time.time()
    with contextlib.redirect_stdout(out):
        code = runner.run_job(args, stop_session=False)
    if os.environ.get("LAKEPLANE_SPARK_SUITE_TIMES"):
        print(f"[{time.time() - started:5.1f} s] {args.phase} {args.dataset} {args.load_id} -> {code}", file=sys.stderr)
    result_uri = args.result
    result = read_json(result_uri) if os.path.exists(result_uri[len("file://"):]) else None
    return code, result, out.getvalue()


def sql_rows(query: str) -> List[Dict[str, Any]]:
    return [r.asDict() for r in session().sql(query).collect()]


class Steps(unittest.TestCase):
    """Test methods that are the steps of one story, run in name order (``test_01_...``): once a
    step fails, the later ones are skipped instead of failing for the same reason."""

    _broken: Optional[str] = None

    def setUp(self) -> None:
        broken = type(self)._broken
        if broken is not None:
            self.skipTest(f"an earlier step failed: {broken}")

    def run(self, result=None):  # type: ignore[override]
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        super().run(result)
        if len(result.failures) + len(result.errors) > before and type(self)._broken is None:
            type(self)._broken = self._testMethodName
        return result
