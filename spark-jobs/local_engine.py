"""The local step server: one long-lived Spark driver that runs many EMR steps in one SparkSession.

A local load runs its steps (stage, validate, upsert, savepoint, gold, ...) here one after the
other, so it pays the JVM start, the Hudi class loading and the Derby metastore boot once, not
once per step. The control plane (TypeScript, local/emr) starts it once per CLI process:

    env PYSPARK_PYTHON=<venv>/bin/python SPARK_HOME=<sparkHome> JAVA_HOME=<javaHome> \\
      <venv>/bin/spark-submit --master local[2] --driver-memory 2g --jars <hudi jar> \\
        --conf spark.ui.enabled=false spark-jobs/local_engine.py --home <workspace dir>

``<venv>``, ``<sparkHome>``, ``<javaHome>`` and ``<hudi jar>`` are fields of the toolchain's
``toolchain.json`` (``npm run setup:spark``; its ``env`` holds the three variables). The
variables are needed: the venv's ``spark-submit`` finds its Spark with ``$PYSPARK_PYTHON``
(``python3`` from the PATH has no PySpark) and runs this file with it. Every other setting is made
here, in code, before the SparkContext exists: Hudi's (lakeplane_jobs.hudi.HUDI_SPARK_CONF),
Hive support with an embedded Derby metastore at ``<home>/spark/metastore_db``, the warehouse at
``<home>/spark/warehouse``, Derby's log at ``<home>/spark/derby.log``, the session time zone UTC,
4 shuffle partitions, no console progress bars, and the package on the executors' path as on
EMR (``lakeplane_jobs.zip``, built into ``<home>/spark/`` from this checkout). Only one server
can use a ``--home`` at a time (Derby locks the metastore); a second one fails at start.

Protocol (line-delimited JSON, UTF-8):

* stdin, one request per line: ``{"id": "<string>", "argv": ["bronze_to_silver.py", "--phase",
  "stage", "--dataset", ...]}``: the job script's file name, then its arguments as the EMR step's
  ``HadoopJarStep.Args`` after the script, URIs mapped to ``file://``. The script's own parser
  (lakeplane_jobs.runner.script_parser) reads them, and lakeplane_jobs.runner.run_job runs them.
* stdout: ``LAKEPLANE-READY {"spark": "3.5.6", "hudi": "1.0.2", "gx": "1.8.1"}`` once the session
  (and the metastore) is up, then for each request, after its job wrote ``--result``, exactly one
  ``LAKEPLANE-STEP {"id": "...", "exitCode": 0|1|2, "error": <message or null>}``: 0 done,
  1 job failure (the message the job wrote to its result; an unexpected exception as
  ``"<ExceptionType>: <message>"``, the server going on), 2 argument error (argparse's message).
  Nothing else: whatever the jobs, Python or the JVM print goes to stderr.
* Requests run one at a time, in order. When stdin closes the session is stopped and the server
  exits 0.

How the streams get there: spark-submit runs this file as a child of the JVM (PythonRunner),
whose stdout is a pipe the JVM copies to its own stdout, with the child's stderr merged into it,
and whose stdin is not the caller's. So the server keeps a duplicate of that pipe for the
protocol lines only, points file descriptors 1 and 2 at a pipe whose bytes a thread writes to
the JVM's ``System.err``, points the JVM's ``System.out`` at ``System.err`` too, and reads the
requests from the JVM's ``System.in`` through py4j. It therefore runs only under spark-submit.
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
READY = "LAKEPLANE-READY"
STEP = "LAKEPLANE-STEP"
MAX_ERROR = 4000


def session_conf(home):
    """The Spark settings of the server's session, all static ones included (see the docstring)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    from lakeplane_jobs.hudi import HUDI_SPARK_CONF

    spark_dir = os.path.join(home, "spark")
    conf = {
        "spark.app.name": "lakeplane local engine",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "4",
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": os.path.join(spark_dir, "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            "jdbc:derby:;databaseName=" + os.path.join(spark_dir, "metastore_db") + ";create=true"
        ),
    }
    conf.update(HUDI_SPARK_CONF)
    return conf


class _StderrForwarder(object):
    """Reads what Python writes to fds 1 and 2 and writes it to the JVM's System.err.

    Until the JVM is reachable the bytes are kept, so a writer never blocks on a full pipe.
    """

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        self.sink = None
        self.pending = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="lakeplane-stderr", daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            chunk = os.read(self.read_fd, 65536)
            if not chunk:
                break
            with self.lock:
                if self.sink is None:
                    self.pending.append(chunk)
                    continue
                self._write(chunk)
        os.close(self.read_fd)

    def _write(self, chunk):
        try:
            self.sink.write(bytearray(chunk), 0, len(chunk))
            self.sink.flush()
        except Exception:  # the JVM is going away; nothing left to tell
            pass

    def attach(self, jvm_stream):
        with self.lock:
            self.sink = jvm_stream
            for chunk in self.pending:
                self._write(chunk)
            self.pending = []

    def close(self):
        for fd in (1, 2, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.thread.join(5)


class Server(object):
    def __init__(self, home):
        self.home = os.path.abspath(home)
        self.spark = None
        self.proto = None
        self.forwarder = None

    # --- streams ---

    def take_streams(self):
        """Protocol lines to a duplicate of stdout; fds 1 and 2 to the JVM's stderr (see the docstring)."""
        sys.stdout.flush()
        sys.stderr.flush()
        self.proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        self.forwarder = _StderrForwarder()
        os.dup2(self.forwarder.write_fd, 1)
        os.dup2(self.forwarder.write_fd, 2)

    def say(self, kind, payload):
        self.proto.write(kind + " " + json.dumps(payload, ensure_ascii=False, separators=(", ", ": ")) + "\n")
        self.proto.flush()

    # --- session ---

    def start(self):
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        spark_dir = os.path.join(self.home, "spark")
        os.makedirs(spark_dir, exist_ok=True)
        os.environ["TZ"] = "UTC"
        if hasattr(time, "tzset"):
            time.tzset()
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        os.environ.setdefault("TQDM_DISABLE", "1")  # GX's "Calculating Metrics" bars

        # The JVM is up already (spark-submit started it); reach it before the SparkContext exists.
        SparkContext._ensure_initialized()
        jvm = SparkContext._jvm
        system = jvm.java.lang.System
        self.forwarder.attach(system.err)
        system.setOut(system.err)  # the JVM's own prints (e.g. Hudi's JOL warnings) away from the protocol
        system.setProperty("derby.stream.error.file", os.path.join(spark_dir, "derby.log"))

        builder = SparkSession.builder
        for k, v in session_conf(self.home).items():
            builder = builder.config(k, v)
        self.spark = builder.enableHiveSupport().getOrCreate()
        self.spark.sparkContext.setLogLevel("WARN")

        import build_zip

        self.spark.sparkContext.addPyFile(build_zip.build(os.path.join(spark_dir, "lakeplane_jobs.zip")))
        # Boot the metastore now: a Derby already booted by another server fails here, not in a step.
        self.spark.sql("SHOW DATABASES").collect()
        self.stdin = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(getattr(system, "in"), "UTF-8"))
        return {"spark": self.spark.version, "hudi": self.hudi_version(), "gx": gx_version()}

    def hudi_version(self):
        jvm = self.spark.sparkContext._jvm
        try:
            loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
            cls = jvm.java.lang.Class.forName("org.apache.hudi.common.table.HoodieTableVersion", False, loader)
            pkg = cls.getPackage()
            version = pkg.getImplementationVersion() if pkg is not None else None
            return str(version) if version else None
        except Exception:
            return None

    def read_request(self):
        line = self.stdin.readLine()
        return None if line is None else str(line)

    def tidy(self):
        """What one step leaves in the session that the next must not see: temporary views
        (``batch``, ``lakeplane_as_of_<dataset>``), cached data, cached table relations."""
        spark = self.spark
        try:
            for t in spark.catalog.listTables():
                if t.isTemporary:
                    spark.catalog.dropTempView(t.name)
            spark.catalog.clearCache()
            spark._jsparkSession.sessionState().catalog().invalidateAllCachedTables()
        except Exception:
            traceback.print_exc()

    # --- steps ---

    def handle(self, line):
        try:
            request = json.loads(line)
        except ValueError as e:
            return None, 2, f"not a JSON request: {e}"
        if not isinstance(request, dict):
            return None, 2, "a request must be a JSON object with id and argv"
        rid = request.get("id")
        argv = request.get("argv")
        if not isinstance(rid, str):
            return rid, 2, "the request's id must be a string"
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            return rid, 2, "the request's argv must be a non-empty list of strings: the job script, then its arguments"
        code, error = self.run_step(os.path.basename(argv[0]), argv[1:])
        return rid, code, error

    def run_step(self, script, argv):
        from lakeplane_jobs import runner, spark_io
        from lakeplane_jobs.errors import JobArgumentError

        try:
            args = runner.script_parser(script)(argv)
        except JobArgumentError as e:
            print(e, file=sys.stderr)
            return 2, str(e)
        except SystemExit as e:  # argparse's --help
            return (e.code if isinstance(e.code, int) else 2), None if e.code == 0 else f"{script}: exited {e.code}"
        print(f"lakeplane local engine: {script} {' '.join(argv)}", file=sys.stderr, flush=True)
        try:
            code = runner.run_job(args, stop_session=False)
        except Exception as e:
            traceback.print_exc()
            return 1, exception_message(e)
        finally:
            sys.stdout.flush()
            self.tidy()
        if code == 0:
            return 0, None
        try:
            error = json.loads(spark_io.read_text(self.spark, args.result)).get("error")
        except Exception:
            error = None
        return code, error if isinstance(error, str) and error else f"{script} failed (exit {code}); see the engine's stderr"

    def serve(self):
        while True:
            line = self.read_request()
            if line is None:
                return
            if not line.strip():
                continue
            started = time.time()
            rid, code, error = self.handle(line)
            print(f"lakeplane local engine: step {rid!r} exit {code} in {time.time() - started:.1f} s", file=sys.stderr, flush=True)
            self.say(STEP, {"id": rid, "exitCode": code, "error": error})

    def stop(self):
        if self.spark is not None:
            self.spark.stop()
            self.spark = None


def gx_version():
    try:
        from importlib.metadata import version

        return version("great_expectations")
    except Exception:
        return None


def exception_message(e):
    """``"<ExceptionType>: <message>"``, without a JVM stack trace, at most MAX_ERROR characters."""
    text = str(e)
    lines = []
    for line in text.splitlines():
        if line.startswith("\tat "):  # py4j puts the JVM's stack trace in the text
            break
        lines.append(line)
    text = "\n".join(lines).strip()
    message = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return message if len(message) <= MAX_ERROR else message[: MAX_ERROR - 1] + "\u2026"


def main(argv=None):
    p = argparse.ArgumentParser(prog="local_engine.py", description="lakeplane's local step server (see its docstring)")
    p.add_argument("--home", required=True, help="the workspace directory (the metastore and warehouse go to <home>/spark/)")
    args = p.parse_args(argv)
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):
        print(
            "local_engine.py runs under spark-submit: <venv>/bin/spark-submit --master local[2] --driver-memory 2g "
            "--jars <hudi jar> --conf spark.ui.enabled=false spark-jobs/local_engine.py --home <dir>",
            file=sys.stderr,
        )
        return 2
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    server = Server(args.home)
    server.take_streams()
    code = 0
    try:
        server.say(READY, server.start())
        server.serve()
    except Exception as e:
        traceback.print_exc()
        if "XSDB6" in "".join(traceback.format_exception(type(e), e, e.__traceback__)):
            print(f"local_engine.py: another process (a second local engine?) has the metastore "
                  f"{os.path.join(server.home, 'spark', 'metastore_db')} open; one engine per --home", file=sys.stderr)
        code = 1
    finally:
        try:
            server.stop()
        except Exception:
            traceback.print_exc()
            code = code or 1
        sys.stdout.flush()
        sys.stderr.flush()
        server.forwarder.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
