"""The Spark-side control flow of the upsert, quarantine, gold and runner code, on fakes.

PySpark is not installed here, so these tests stand in a tiny fake for the few Spark calls
those modules make (and an in-memory file system for lakeplane_jobs.spark_io), and check
what the jobs do with them: which Hudi options and columns are written, how the new commit
is found and read back in both timeline layouts, in which order the quarantine phase copies the
staged batch and deletes staging (and what a retry does), which DDL the gold job issues, and
what the runner writes to --result, and that the stage's Spark dedupe keeps rows with no record
key out of the window. The stage phase's row logic is tested without Spark in test_casting and
test_dedupe.
"""

import datetime as dt
import gzip
import json
import os
import re
import sys
import types
import unittest
from unittest import mock

from lakeplane_jobs import gold_job, quarantine_job, runner, spark_io, stage_job, upsert_job, validate_job
from lakeplane_jobs.cli import parse_bronze_to_silver, parse_silver_to_gold, parse_validate_batch
from lakeplane_jobs.dedupe import OrderBy
from lakeplane_jobs.errors import JobFailure
from lakeplane_jobs.expectations import GX_CLASS_NAMES

from .helpers import HOODIE_COMMIT_METADATA_SCHEMA, avro_container, fixture_contract, fixture_document, write_stat
from .test_cli import GOLD, QUARANTINE, STAGE, UPSERT, VALIDATE


class MemoryFS:
    def __init__(self):
        self.files = {}

    def list_names(self, spark, uri, directories=None):
        prefix = uri.rstrip("/") + "/"
        names = {}
        for path in self.files:
            if path.startswith(prefix):
                rest = path[len(prefix):]
                head, sep, _ = rest.partition("/")
                names[head] = bool(sep)
        return sorted(n for n, is_dir in names.items() if directories is None or is_dir == directories)

    def read_bytes(self, spark, uri):
        return self.files[uri]

    def exists(self, spark, uri):
        prefix = uri.rstrip("/") + "/"
        return any(p == uri or p.startswith(prefix) for p in self.files)

    def write_text(self, spark, uri, text):
        self.files[uri] = text.encode("utf-8")

    def delete(self, spark, uri):
        prefix = uri.rstrip("/") + "/"
        for path in [p for p in self.files if p == uri or p.startswith(prefix)]:
            del self.files[path]

    def patches(self, hudi_version=8):
        return [
            mock.patch.object(spark_io, "list_names", self.list_names),
            mock.patch.object(spark_io, "read_bytes", self.read_bytes),
            mock.patch.object(spark_io, "read_text", lambda s, u: self.read_bytes(s, u).decode("utf-8")),
            mock.patch.object(spark_io, "write_text", self.write_text),
            mock.patch.object(spark_io, "delete", self.delete),
            mock.patch.object(spark_io, "exists", self.exists),
            mock.patch.object(spark_io, "hudi_table_version", lambda s: hudi_version),
        ]


def fake_pyspark():
    functions = types.ModuleType("pyspark.sql.functions")
    functions.expr = lambda text: ("expr", text)
    sql = types.ModuleType("pyspark.sql")
    sql.functions = functions
    root = types.ModuleType("pyspark")
    root.sql = sql
    return {"pyspark": root, "pyspark.sql": sql, "pyspark.sql.functions": functions}


class Field:
    def __init__(self, name, type_name):
        self.name = name
        self.dataType = types.SimpleNamespace(simpleString=lambda: type_name)


class FakeDF:
    def __init__(self, rows, columns, on_save=None, on_parquet=None, on_json=None):
        self.rows, self.columns = rows, list(columns)
        self.added = {}
        self.on_save, self.on_parquet, self.on_json = on_save, on_parquet, on_json
        self.options_written = None
        self.mode_written = None
        self.filtered = []

    @property
    def schema(self):
        return types.SimpleNamespace(fields=[Field(n, t) for n, t in self.columns])

    def take(self, n):
        return self.rows[:n]

    def count(self):
        return len(self.rows)

    def withColumn(self, name, value):
        self.added[name] = value
        return self

    def filter(self, condition):
        """Only the upsert's no-record-key condition (`a` IS NULL OR `b` IS NULL), on dict rows."""
        kind, text = condition
        fields = re.findall(r"`([^`]+)` IS NULL", text)
        if kind != "expr" or " OR ".join(f"`{f}` IS NULL" for f in fields) != text:
            raise AssertionError(f"the fake cannot filter on {condition!r}")
        self.filtered.append(text)
        return FakeDF([r for r in self.rows if any(r.get(f) is None for f in fields)], self.columns)

    @property
    def write(self):
        df = self

        class Writer:
            def format(self, f):
                self.fmt = f
                return self

            def options(self, **o):
                df.options_written = o
                return self

            def mode(self, m):
                self.mode_ = m
                df.mode_written = m
                return self

            def save(self, path):
                df.on_save(path, df)

            def parquet(self, path):
                df.on_parquet(path, df)

            def json(self, path):
                df.on_json(path, df)

        return Writer()


INSTANT_OLD = "20250101000000000"
INSTANT_NEW = "20250102030405678"
COMPLETED = "20250102030409999"


def metadata(load_id):
    return {
        "partitionToWriteStats": {
            "order_date=2024-05-01": [write_stat("order_date=2024-05-01", "f1", 2, 1, 1)],
            "order_date=2024-05-02": [write_stat("order_date=2024-05-02", "f2", 3, 0, 0)],
        },
        "extraMetadata": {"_lakeplane.loadId": load_id},
        "version": 1,
        "operationType": "UPSERT",
    }


class Upsert(unittest.TestCase):
    def setUp(self):
        self.fs = MemoryFS()
        self.saved = []
        self.staged = [{"order_id": "o-1", "line_no": 1}]
        self.read = []
        fake = self

        def parquet(path):
            fake.read.append(FakeDF(fake.staged, [], on_save=fake.hudi_save))
            return fake.read[-1]

        class Spark:
            read = types.SimpleNamespace(parquet=parquet)

        self.spark = Spark()
        self.layout = "1.x"
        # The outcome counts are Spark SQL over Silver (run for real in tests_spark and the
        # parity corpus); here: which table they were asked about, and that they reach the result.
        self.counted = []
        self.counts = {"inserted": 5, "updated": 1, "deleted": 1}

    def hudi_save(self, base, df):
        """What Hudi leaves on the timeline: pending files, the completed commit, a clean."""
        self.saved.append((base, df))
        extra = {k: v for k, v in df.options_written.items() if k.startswith("_")}
        md = metadata(extra.get("_lakeplane.loadId"))
        if self.layout == "1.x":
            t = f"{base}/.hoodie/timeline"
            self.fs.files[f"{t}/{INSTANT_NEW}.commit.requested"] = b""
            self.fs.files[f"{t}/{INSTANT_NEW}.inflight"] = b""
            self.fs.files[f"{t}/{INSTANT_NEW}_{COMPLETED}.commit"] = avro_container(HOODIE_COMMIT_METADATA_SCHEMA, [md])
            self.fs.files[f"{t}/{INSTANT_NEW}_{COMPLETED}.clean"] = b""
        else:
            self.fs.files[f"{base}/.hoodie/{INSTANT_NEW}.commit"] = json.dumps(md).encode()

    def count_outcomes(self, spark, contract, staged, silver_path):
        self.assertEqual(self.saved, [], "the counts are taken before the write")
        self.counted.append((contract.name, silver_path))
        return self.counts

    def upsert(self, argv, contract, hudi_version=8):
        args = parse_bronze_to_silver(argv)
        with mock.patch.dict(sys.modules, fake_pyspark()):
            patches = self.fs.patches(hudi_version)
            patches.append(mock.patch.object(upsert_job, "outcome_counts", self.count_outcomes))
            for p in patches:
                p.start()
            try:
                return upsert_job.run_upsert(self.spark, args, contract)
            finally:
                for p in patches:
                    p.stop()

    def test_cdc_dataset_on_hudi_1x(self):
        base = "s3://silver/order_items"
        old = metadata("earlier-load")
        self.fs.files[f"{base}/.hoodie/timeline/{INSTANT_OLD}_{INSTANT_OLD}.commit"] = avro_container(
            HOODIE_COMMIT_METADATA_SCHEMA, [old]
        )
        self.fs.files[f"{base}/.hoodie/hoodie.properties"] = b""
        argv = [a.replace("orders/", "order_items/") for a in UPSERT]
        argv[argv.index("--dataset") + 1] = "order_items"
        result = self.upsert(argv, fixture_contract("order_items"))
        self.assertEqual(
            result,
            {
                "phase": "upsert",
                "loadId": "orders-0a1b2c",
                "dataset": "order_items",
                "commitId": INSTANT_NEW,
                "inserted": 5,
                "updated": 1,
                "deleted": 1,
            },
        )
        self.assertEqual(self.counted, [("order_items", base)])
        (path, df), = self.saved
        self.assertEqual(path, base)
        self.assertEqual(df.added, {"_hoodie_is_deleted": ("expr", "coalesce(upper(trim(`Op`)) = 'D', false)")})
        self.assertEqual(df.options_written["hoodie.write.record.merge.mode"], "EVENT_TIME_ORDERING")
        self.assertEqual(df.options_written["hoodie.datasource.write.recordkey.field"], "order_id,line_no")
        self.assertEqual(df.options_written["hoodie.datasource.hive_sync.database"], "lake_silver")

    def test_orders_on_hudi_0x(self):
        self.layout = "0.x"
        self.fs.files[f"s3://silver/orders/.hoodie/{INSTANT_OLD}.commit"] = json.dumps(metadata("x")).encode()
        result = self.upsert(UPSERT + ["--hudi-version", "0.x"], fixture_contract("orders"), hudi_version=6)
        self.assertEqual((result["commitId"], result["inserted"], result["updated"]), (INSTANT_NEW, 5, 1))
        (_, df), = self.saved
        self.assertEqual(df.added, {})
        self.assertEqual(
            df.options_written["hoodie.datasource.write.payload.class"],
            "org.apache.hudi.common.model.DefaultHoodieRecordPayload",
        )

    def test_nothing_staged_means_no_commit(self):
        self.staged = []
        result = self.upsert(UPSERT, fixture_contract("orders"))
        self.assertEqual(result["commitId"], "")
        self.assertEqual((result["inserted"], result["updated"], result["deleted"]), (0, 0, 0))
        self.assertEqual(self.saved, [])

    def test_wrong_hudi_line_fails_before_writing(self):
        with self.assertRaises(JobFailure) as cm:
            self.upsert(UPSERT, fixture_contract("orders"), hudi_version=6)
        self.assertIn("pass --hudi-version 0.x", str(cm.exception))
        with self.assertRaises(JobFailure) as cm:
            self.upsert(UPSERT, fixture_contract("orders"), hudi_version=None)
        self.assertIn("Hudi is not on the Spark classpath", str(cm.exception))
        self.assertEqual(self.saved, [])

    def test_staged_rows_without_a_record_key_fail_before_writing(self):
        # The quality gate stops such a batch; if it was bypassed, nothing reaches Hudi.
        self.staged = [{"order_id": "o-1"}, {"order_id": None}, {"order_id": None}]
        with self.assertRaises(JobFailure) as cm:
            self.upsert(UPSERT, fixture_contract("orders"))
        self.assertEqual(
            str(cm.exception),
            "orders: 2 staged records have no record key (a null order_id); the quality gate must stop "
            "such a batch before the upsert, and nothing was written to Silver",
        )
        self.assertEqual(self.saved, [])
        self.assertEqual(self.read[0].filtered, ["`order_id` IS NULL"])

        self.staged = [{"order_id": "o-1", "line_no": 1}, {"order_id": "o-1", "line_no": None}]
        argv = [a.replace("orders/", "order_items/") for a in UPSERT]
        argv[argv.index("--dataset") + 1] = "order_items"
        with self.assertRaises(JobFailure) as cm:
            self.upsert(argv, fixture_contract("order_items"))
        self.assertIn("order_items: 1 staged record has no record key (a null order_id or line_no)",
                      str(cm.exception))
        self.assertEqual(self.read[-1].filtered, ["`order_id` IS NULL OR `line_no` IS NULL"])
        self.assertEqual(self.saved, [])

    def test_keyed_rows_are_checked_then_written(self):
        self.upsert(UPSERT, fixture_contract("orders"))
        (_, df), = self.saved
        self.assertEqual(df.filtered, ["`order_id` IS NULL"])
        self.assertEqual(self.counted, [("orders", None)])  # no timeline yet: every record is new

    def test_a_write_without_a_new_commit_fails(self):
        self.hudi_save = lambda base, df: None
        with self.assertRaises(JobFailure) as cm:
            self.upsert(UPSERT, fixture_contract("orders"))
        self.assertIn("left no new commit on the timeline of s3://silver/orders", str(cm.exception))


class Plan:
    """A DataFrame / Column stand-in that records the calls made on it as a nested tuple."""

    def __init__(self, *node):
        self.node = node

    def __getattr__(self, name):
        return lambda *args: Plan(name, self.node, *[a.node if isinstance(a, Plan) else a for a in args])

    def __eq__(self, other):
        return Plan("==", self.node, other)


def plan_pyspark():
    functions = types.ModuleType("pyspark.sql.functions")
    functions.expr = lambda text: Plan("expr", text)
    functions.col = lambda name: Plan("col", name)
    functions.row_number = lambda: Plan("row_number")
    window = types.SimpleNamespace(partitionBy=lambda *cols: Plan("window", *[c.node for c in cols]))
    sql = types.ModuleType("pyspark.sql")
    sql.functions, sql.Window = functions, window
    root = types.ModuleType("pyspark")
    root.sql = sql
    return {"pyspark": root, "pyspark.sql": sql, "pyspark.sql.functions": functions}


class StageDedupe(unittest.TestCase):
    """The stage's Spark dedupe leaves rows with no record key out of the window and keeps them all."""

    def test_keyless_rows_go_around_the_window(self):
        with mock.patch.dict(sys.modules, plan_pyspark()):
            out = stage_job._dedupe(Plan("df"), ("order_id", "line_no"), (OrderBy("ts"), OrderBy("line")))
        no_key = "`order_id` IS NULL OR `line_no` IS NULL"
        op, deduped, keyless = out.node
        self.assertEqual(op, "unionByName")
        self.assertEqual(keyless, ("filter", ("df",), ("expr", no_key)))
        # deduped = keyed.withColumn(rank, row_number over window).filter(rank == 1).drop(rank)
        self.assertEqual(deduped[0], "drop")
        self.assertEqual(deduped[1][0], "filter")
        with_rank = deduped[1][1]
        self.assertEqual(with_rank[0], "withColumn")
        self.assertEqual(with_rank[1], ("filter", ("df",), ("expr", f"NOT ({no_key})")))
        window = with_rank[3][2]
        self.assertEqual(window[0], "orderBy")
        self.assertEqual(window[1], ("window", ("col", "order_id"), ("col", "line_no")))


QUARANTINE_RESULT = "s3://art/runs/orders-0a1b2c/attempt-2/quarantine.json"
QUARANTINE_STAGING = "s3://art/runs/orders-0a1b2c/attempt-2/staging/"
QUARANTINE_LOCATION = "s3://quarantine/orders/orders-0a1b2c/attempt-2/staged-batch/"
QUARANTINE_MANIFEST = QUARANTINE_LOCATION + "_lakeplane.json"


class Quarantine(unittest.TestCase):
    """bronze_to_silver.py --phase quarantine through the runner: copy, manifest, then delete staging."""

    def setUp(self):
        self.fs = MemoryFS()
        self.fs.files["s3://art/contracts/orders.json"] = json.dumps(fixture_document("orders")).encode()
        # What the stage left: the staged Parquet, and the bad lines directly under the quarantine prefix.
        self.fs.files[QUARANTINE_STAGING + "part-00000-a.snappy.parquet"] = b"PAR1"
        self.fs.files[QUARANTINE_STAGING + "part-00001-a.snappy.parquet"] = b"PAR1"
        self.fs.files[QUARANTINE_STAGING + "_SUCCESS"] = b""
        self.fs.files["s3://quarantine/orders/orders-0a1b2c/attempt-2/part-00000-b.json"] = b'{"lineNumber":3}\n'
        self.rows = [
            {"order_id": "o-1", "order_date": "2024-05-01", "status": "lost", "order_total": 12.5},
            {"order_id": "o-2", "order_date": "2024-05-01", "status": None, "order_total": 3.0},
            {"order_id": "o-3", "order_date": "2024-05-02", "status": "paid", "order_total": 7.25},
        ]
        self.events, self.sessions, self.stopped = [], [], []
        self.write_error = self.delete_error = None

    def read_parquet(self, path):
        self.events.append(("read", path))
        if not self.fs.exists(None, path):
            raise RuntimeError(f"[PATH_NOT_FOUND] Path does not exist: {path}")
        return FakeDF(self.rows, STAGED_COLUMNS, on_json=self.write_json)

    def write_json(self, path, df):
        """Spark's write.json: overwrite empties the target first, then part files and _SUCCESS."""
        self.events.append(("write", path, df.mode_written, df.options_written))
        if df.mode_written == "overwrite":
            self.fs.delete(None, path)
        if self.write_error:
            raise self.write_error
        lines = "".join(json.dumps(r) + "\n" for r in df.rows)
        self.fs.files[path + "part-00000-c.json.gz"] = gzip.compress(lines.encode("utf-8"))
        self.fs.files[path + "_SUCCESS"] = b""

    def write_text(self, spark, uri, text):
        self.events.append(("put", uri))
        self.fs.write_text(spark, uri, text)

    def delete(self, spark, uri):
        self.events.append(("delete", uri))
        if self.delete_error:
            # EMRFS deletes object by object: a failure can leave part of the prefix behind.
            self.fs.files.pop(QUARANTINE_STAGING + "part-00000-a.snappy.parquet", None)
            raise self.delete_error
        self.fs.delete(spark, uri)

    def run_job(self, argv=None):
        def build(name, conf, hive):
            self.sessions.append((name, conf, hive))
            return types.SimpleNamespace(stop=lambda: self.stopped.append(True),
                                         read=types.SimpleNamespace(parquet=self.read_parquet))

        patches = self.fs.patches() + [
            mock.patch.object(spark_io, "build_session", build),
            mock.patch.object(spark_io, "write_text", self.write_text),
            mock.patch.object(spark_io, "delete", self.delete),
        ]
        for p in patches:
            p.start()
        try:
            with mock.patch("sys.stdout"), mock.patch("sys.stderr"):
                return runner.run_job(parse_bronze_to_silver(argv or QUARANTINE))
        finally:
            for p in reversed(patches):
                p.stop()

    def result(self):
        return json.loads(self.fs.files[QUARANTINE_RESULT])

    def copied_rows(self):
        return [json.loads(line) for line in
                gzip.decompress(self.fs.files[QUARANTINE_LOCATION + "part-00000-c.json.gz"]).decode().splitlines()]

    def staging_files(self):
        return sorted(p for p in self.fs.files if p.startswith(QUARANTINE_STAGING))

    def test_moves_the_batch_then_deletes_staging(self):
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(
            self.result(),
            {"phase": "quarantine", "loadId": "orders-0a1b2c", "dataset": "orders", "rows": 3,
             "location": QUARANTINE_LOCATION},
        )
        self.assertEqual(
            self.events,
            [
                ("read", QUARANTINE_STAGING),
                ("write", QUARANTINE_LOCATION, "overwrite", quarantine_job.JSON_OPTIONS),
                ("put", QUARANTINE_MANIFEST),
                ("delete", QUARANTINE_STAGING),
                ("put", QUARANTINE_RESULT),
            ],
        )
        self.assertEqual(self.copied_rows(), self.rows)
        self.assertEqual(self.staging_files(), [])
        manifest = json.loads(self.fs.files[QUARANTINE_MANIFEST])
        self.assertEqual((manifest["rows"], manifest["attempt"], manifest["staging"]), (3, 2, QUARANTINE_STAGING))
        self.assertTrue(manifest["schema"].startswith("`order_id` string, `order_date` date, "))
        # The stage's bad lines beside staged-batch/ are left alone.
        self.assertIn("s3://quarantine/orders/orders-0a1b2c/attempt-2/part-00000-b.json", self.fs.files)
        self.assertEqual(self.sessions, [("lakeplane quarantine orders orders-0a1b2c", {}, False)])
        self.assertEqual(self.stopped, [True])

    def test_an_empty_batch_is_moved_too(self):
        self.rows = []
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.result()["rows"], 0)
        self.assertEqual(self.staging_files(), [])

    def test_a_failed_write_keeps_staging(self):
        self.write_error = RuntimeError("S3 503 Slow Down")
        with self.assertRaises(RuntimeError):
            self.run_job()
        self.assertEqual(
            self.result(),
            {"phase": "quarantine", "loadId": "orders-0a1b2c", "dataset": "orders",
             "error": "RuntimeError: S3 503 Slow Down"},
        )
        self.assertEqual(len(self.staging_files()), 3)
        self.assertNotIn(QUARANTINE_MANIFEST, self.fs.files)
        self.assertNotIn("delete", [e[0] for e in self.events])
        # The step's retry copies it again, in full.
        self.write_error = None
        self.events = []
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.copied_rows(), self.rows)
        self.assertEqual(self.staging_files(), [])

    def test_a_retry_after_a_failed_delete_does_not_copy_again(self):
        self.delete_error = RuntimeError("S3 500 InternalError")
        with self.assertRaises(RuntimeError):
            self.run_job()
        copy = self.fs.files[QUARANTINE_LOCATION + "part-00000-c.json.gz"]
        self.assertEqual(len(self.staging_files()), 2)  # partly deleted
        self.delete_error = None
        self.events = []
        self.rows = self.rows[:1]  # what reading the partly deleted staging would give
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.events, [("delete", QUARANTINE_STAGING), ("put", QUARANTINE_RESULT)])
        self.assertEqual(self.fs.files[QUARANTINE_LOCATION + "part-00000-c.json.gz"], copy)
        self.assertEqual(self.result()["rows"], 3)
        self.assertEqual(self.staging_files(), [])

    def test_a_retry_after_everything_but_the_result_only_reports(self):
        self.assertEqual(self.run_job(), 0)
        del self.fs.files[QUARANTINE_RESULT]
        self.events = []
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.events, [("put", QUARANTINE_RESULT)])
        self.assertEqual(self.result()["rows"], 3)

    def test_a_manifest_of_another_load_is_not_trusted(self):
        self.fs.files[QUARANTINE_MANIFEST] = json.dumps(
            {"loadId": "orders-other", "dataset": "orders", "attempt": 2, "staging": QUARANTINE_STAGING, "rows": 99}
        ).encode()
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.result()["rows"], 3)
        self.assertEqual([e[0] for e in self.events], ["read", "write", "put", "delete", "put"])
        self.assertEqual(json.loads(self.fs.files[QUARANTINE_MANIFEST])["loadId"], "orders-0a1b2c")

    def test_no_staged_batch_fails_and_deletes_nothing(self):
        for p in self.staging_files():
            del self.fs.files[p]
        self.assertEqual(self.run_job(), 1)
        doc = self.result()
        self.assertEqual(sorted(doc), ["dataset", "error", "loadId", "phase"])
        self.assertEqual(
            doc["error"],
            f"orders: no staged batch at {QUARANTINE_STAGING} for load orders-0a1b2c attempt 2, and "
            f"{QUARANTINE_LOCATION} holds no complete copy of it; nothing was quarantined",
        )
        self.assertEqual(self.events, [("put", QUARANTINE_RESULT)])


class Gold(unittest.TestCase):
    def setUp(self):
        self.fs = MemoryFS()
        self.statements = []
        self.tables = {}
        self.data = {}
        fake = self

        self.databases = {"lake_gold"}  # the stack creates it in Glue

        class Catalog:
            def databaseExists(self, db):
                return db in fake.databases

            def tableExists(self, table, db):
                return (db, table) in fake.tables

            def listColumns(self, table, db):
                return [types.SimpleNamespace(name=n, dataType=t) for n, t in fake.tables[(db, table)]]

            def refreshTable(self, name):
                pass

        class Spark:
            catalog = Catalog()
            read = types.SimpleNamespace(parquet=lambda path: fake.data[path])

            def sql(self, text):
                fake.statements.append(text)
                if text.startswith("CREATE DATABASE"):
                    fake.databases.add(text.split()[-1])
                if text.startswith("CREATE TABLE"):
                    db, table = text.split()[2].split(".")
                    fake.tables[(db, table)] = fake.columns
                if text.startswith("DROP TABLE"):
                    db, table = text.split()[4].split(".")
                    fake.tables.pop((db, table), None)
                return FakeDF([1] * 3, fake.columns, on_parquet=fake.write_parquet)

        self.spark = Spark()
        self.columns = [("order_date", "date"), ("orders", "bigint"), ("revenue_usd", "decimal(18,2)")]

    def write_parquet(self, path, df):
        self.data[path] = df
        self.fs.files[path + "part-00000.parquet"] = b"PAR1"

    def gold(self, when):
        args = parse_silver_to_gold(GOLD)
        patches = self.fs.patches()
        for p in patches:
            p.start()
        try:
            return gold_job.run_gold(self.spark, args, fixture_contract("orders"), now=when)
        finally:
            for p in patches:
                p.stop()

    def test_first_run_creates_then_runs_switch_location_and_prune(self):
        day = lambda d: dt.datetime(2025, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
        result = self.gold(day(1))
        self.assertEqual(
            result,
            {"phase": "gold", "loadId": "orders-0a1b2c", "dataset": "orders",
             "tables": [{"name": "daily_revenue", "rows": 3}]},
        )
        run1 = "s3://gold/daily_revenue/20250101T000000000Z-orders-0a1b2c/"
        self.assertIn("FROM lake_silver.orders", self.statements[0])
        self.assertNotIn("silver.orders\n", self.statements[0].replace("lake_silver.orders", ""))
        self.assertEqual(
            self.statements[1],
            "CREATE TABLE lake_gold.daily_revenue (`order_date` date, `orders` bigint, `revenue_usd` decimal(18,2)) "
            f"USING parquet LOCATION '{run1}'",
        )
        self.gold(day(2))
        self.gold(day(3))
        self.assertEqual(
            self.statements[-1],
            "ALTER TABLE lake_gold.daily_revenue SET LOCATION "
            "'s3://gold/daily_revenue/20250103T000000000Z-orders-0a1b2c/'",
        )
        self.assertEqual(
            self.fs.list_names(None, "s3://gold/daily_revenue/", directories=True),
            ["20250102T000000000Z-orders-0a1b2c", "20250103T000000000Z-orders-0a1b2c"],
        )

    def test_a_missing_gold_database_is_created_first(self):
        self.databases.clear()  # a fresh local metastore
        self.gold(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
        self.assertEqual(self.statements[0], "CREATE DATABASE IF NOT EXISTS lake_gold")
        self.assertIn("FROM lake_silver.orders", self.statements[1])
        self.assertTrue(self.statements[2].startswith("CREATE TABLE lake_gold.daily_revenue"))
        self.gold(dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc))
        self.assertEqual(sum(s.startswith("CREATE DATABASE") for s in self.statements), 1)

    def test_changed_columns_replace_the_table(self):
        self.tables[("lake_gold", "daily_revenue")] = [("order_date", "date"), ("orders", "int")]
        self.gold(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
        self.assertEqual(self.statements[1], "DROP TABLE IF EXISTS lake_gold.daily_revenue")
        self.assertTrue(self.statements[2].startswith("CREATE TABLE lake_gold.daily_revenue"))


class Runner(unittest.TestCase):
    def test_every_job_script_has_its_runner(self):
        import importlib

        from lakeplane_jobs.emr import SCRIPTS
        from lakeplane_jobs.runner import JOB_RUNNERS

        self.assertEqual(set(JOB_RUNNERS), set(SCRIPTS))
        for phase, (module, function) in JOB_RUNNERS.items():
            with self.subTest(phase=phase):
                self.assertTrue(callable(getattr(importlib.import_module(f"lakeplane_jobs.{module}"), function)))

    def test_every_job_script_parses_with_its_table_entry(self):
        import ast
        import os

        from lakeplane_jobs import cli
        from lakeplane_jobs.emr import SCRIPTS
        from lakeplane_jobs.errors import JobArgumentError
        from lakeplane_jobs.runner import SCRIPT_PARSERS, script_parser

        from .helpers import SPARK_JOBS

        self.assertEqual(set(SCRIPT_PARSERS), set(SCRIPTS.values()))
        for script, parser in SCRIPT_PARSERS.items():
            with self.subTest(script=script):
                with open(os.path.join(SPARK_JOBS, script), encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "lakeplane_jobs.cli"
                            for a in n.names]
                self.assertEqual(imported, [parser])
                calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "entry_point"]
                self.assertEqual([c.args[0].id for c in calls], [parser])
                self.assertIs(script_parser(script), getattr(cli, parser))
        with self.assertRaisesRegex(JobArgumentError, "'x.py' is not a job script; use one of bronze_to_silver.py"):
            script_parser("x.py")

    def test_stop_session_false_leaves_the_session_running(self):
        stage = lambda spark, args, contract: {"phase": "stage", "loadId": args.load_id, "dataset": contract.name,
                                               "rowsIn": 1, "rowsQuarantined": 0, "rowsStaged": 1,
                                               "duplicatesDropped": 0}  # noqa: E731
        with mock.patch("sys.stdout"):
            self.assertEqual(self.run_job(STAGE, stage, stop_session=False), 0)
        self.assertEqual(self.stopped, [])

    def setUp(self):
        self.fs = MemoryFS()
        self.fs.files["s3://art/contracts/orders.json"] = json.dumps(fixture_document("orders")).encode()
        self.stopped = []
        self.sessions = []

    def run_job(self, argv, stage=None, **kwargs):
        args = parse_bronze_to_silver(argv)

        def build(name, conf, hive):
            self.sessions.append((name, conf, hive))
            return types.SimpleNamespace(stop=lambda: self.stopped.append(True))

        patches = self.fs.patches() + [mock.patch.object(spark_io, "build_session", build)]
        if stage is not None:
            patches.append(mock.patch("lakeplane_jobs.stage_job.run_stage", stage))
        for p in patches:
            p.start()
        try:
            return runner.run_job(args, **kwargs)
        finally:
            for p in patches:
                p.stop()

    def result(self):
        return json.loads(self.fs.files["s3://art/runs/orders-0a1b2c/attempt-1/stage.json"])

    def test_success_writes_the_result(self):
        stage = lambda spark, args, contract: {"phase": "stage", "loadId": args.load_id, "dataset": contract.name,
                                               "rowsIn": 1, "rowsQuarantined": 0, "rowsStaged": 1,
                                               "duplicatesDropped": 0}  # noqa: E731
        with mock.patch("sys.stdout"):
            self.assertEqual(self.run_job(STAGE, stage), 0)
        self.assertEqual(self.result()["rowsStaged"], 1)
        self.assertEqual(self.sessions, [("lakeplane stage orders orders-0a1b2c", {}, False)])
        self.assertEqual(self.stopped, [True])

    def test_job_failure_writes_an_error_result_and_exits_1(self):
        def stage(spark, args, contract):
            raise JobFailure("orders: 3 of 10 records are bad")

        with mock.patch("sys.stderr"):
            self.assertEqual(self.run_job(STAGE, stage), 1)
        self.assertEqual(
            self.result(),
            {"phase": "stage", "loadId": "orders-0a1b2c", "dataset": "orders",
             "error": "orders: 3 of 10 records are bad"},
        )
        self.assertEqual(self.stopped, [True])

    def test_contract_of_another_dataset(self):
        self.fs.files["s3://art/contracts/orders.json"] = json.dumps(fixture_document("order_items")).encode()
        with mock.patch("sys.stderr"):
            self.assertEqual(self.run_job(STAGE), 1)
        self.assertIn("--dataset orders does not match the contract", self.result()["error"])

    def test_unexpected_errors_are_recorded_and_raised(self):
        def stage(spark, args, contract):
            raise KeyError("boom")

        with self.assertRaises(KeyError):
            self.run_job(STAGE, stage)
        self.assertEqual(self.result()["error"], "KeyError: 'boom'")

    def test_quarantine_session_needs_neither_hudi_nor_glue(self):
        self.assertEqual(runner.session_settings(parse_bronze_to_silver(QUARANTINE)), {"conf": {}, "hive": False})

    def test_upsert_and_gold_sessions_get_hudi_settings_and_glue(self):
        settings = runner.session_settings(parse_bronze_to_silver(UPSERT))
        self.assertTrue(settings["hive"])
        self.assertEqual(settings["conf"]["spark.kryo.registrator"], "org.apache.spark.HoodieSparkKryoRegistrar")
        self.assertTrue(runner.session_settings(parse_silver_to_gold(GOLD))["hive"])


# --- the validate phase, on a fake great_expectations ---

GX_TYPES = {v: k for k, v in GX_CLASS_NAMES.items()}


def fake_gx(failing=(), version="1.8.1"):
    """A stand-in for the GX Core 1.x API the validate job uses; ``failing`` = contract indexes that fail.

    ``calls`` records what the job asked for; the result mimics to_json_dict() of an
    ExpectationSuiteValidationResult (success, results[], suite_name, statistics, meta).
    """
    calls = {}
    gx = types.ModuleType("great_expectations")
    gx.__version__ = version
    gx.calls = calls
    exps = types.ModuleType("great_expectations.expectations")

    def expectation_class(class_name):
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        return type(class_name, (), {"__init__": __init__})

    for class_name in GX_TYPES:
        setattr(exps, class_name, expectation_class(class_name))
    gx.expectations = exps

    class ExpectationSuite:
        def __init__(self, name, expectations):
            self.name, self.expectations = name, expectations

    class Result:
        def __init__(self, suite, run_id):
            self.suite, self.run_id = suite, run_id

        def to_json_dict(self):
            results = []
            for e in self.suite.expectations:
                kwargs = {k: v for k, v in e.kwargs.items() if k not in ("meta", "description")}
                kwargs = {k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for k, v in kwargs.items()}
                ok = e.kwargs["meta"]["lakeplane"]["index"] not in failing
                results.append({
                    "success": ok,
                    "expectation_config": {"type": GX_TYPES[type(e).__name__], "kwargs": kwargs, "meta": e.kwargs["meta"]},
                    "result": {"element_count": 3, "unexpected_count": 0 if ok else 1,
                               "unexpected_percent": 0.0 if ok else 100 / 3,
                               "partial_unexpected_list": [] if ok else ["x"]},
                    "meta": {},
                    "exception_info": {"raised_exception": False, "exception_traceback": None, "exception_message": None},
                })
            good = sum(r["success"] for r in results)
            return {
                "success": good == len(results),
                "results": results,
                "suite_name": self.suite.name,
                "suite_parameters": {},
                "statistics": {"evaluated_expectations": len(results), "successful_expectations": good,
                               "unsuccessful_expectations": len(results) - good,
                               "success_percent": 100.0 * good / len(results) if results else None},
                "meta": {"run_id": {"run_name": self.run_id.run_name, "run_time": self.run_id.run_time.isoformat()},
                         "validation_time": self.run_id.run_time.isoformat(),
                         "batch_parameters": {"dataframe": "<DATAFRAME>"}},
                "id": None,
            }

    class ValidationDefinition:
        def __init__(self, name, data, suite):
            self.name, self.data, self.suite = name, data, suite

        def run(self, batch_parameters, result_format, run_id):
            calls["run"] = {"batch_parameters": batch_parameters, "result_format": result_format, "run_id": run_id}
            return Result(self.suite, run_id)

    gx.ExpectationSuite, gx.ValidationDefinition = ExpectationSuite, ValidationDefinition

    class Asset:
        def add_batch_definition_whole_dataframe(self, name):
            calls["batch_definition"] = name
            return ("batch definition", name)

    class DataSource:
        def add_dataframe_asset(self, name):
            calls["asset"] = name
            return Asset()

    def add_spark(name):
        calls["data_source"] = name
        return DataSource()

    def add(kind):
        def adder(obj):
            calls[kind] = obj
            return obj

        return adder

    def get_context(mode):
        calls["mode"] = mode
        calls["analytics"] = os.environ.get("GX_ANALYTICS_ENABLED")
        return types.SimpleNamespace(
            data_sources=types.SimpleNamespace(add_spark=add_spark),
            suites=types.SimpleNamespace(add=add("suite")),
            validation_definitions=types.SimpleNamespace(add=add("validation_definition")),
        )

    gx.get_context = get_context
    core = types.ModuleType("great_expectations.core")
    run_identifier = types.ModuleType("great_expectations.core.run_identifier")

    class RunIdentifier:
        def __init__(self, run_name=None, run_time=None):
            self.run_name, self.run_time = run_name, run_time

    run_identifier.RunIdentifier = RunIdentifier
    core.run_identifier = run_identifier
    gx.core = core
    return {
        "great_expectations": gx,
        "great_expectations.expectations": exps,
        "great_expectations.core": core,
        "great_expectations.core.run_identifier": run_identifier,
    }


STAGED_COLUMNS = [("order_id", "string"), ("order_date", "date"), ("customer_id", "string"),
                  ("order_total", "decimal(12,2)"), ("currency", "string"), ("status", "string"),
                  ("order_total_usd", "decimal(14,2)"), ("updated_at", "timestamp")]
RESULT_URI = "s3://art/runs/orders-0a1b2c/attempt-2/validate.json"


class Validate(unittest.TestCase):
    def setUp(self):
        self.fs = MemoryFS()
        self.document = fixture_document("orders")
        self.sessions, self.read = [], []
        self.staged = FakeDF([], STAGED_COLUMNS)
        self.utc = []

    def run_job(self, modules):
        self.fs.files["s3://art/contracts/orders.json"] = json.dumps(self.document).encode()

        def build(name, conf, hive):
            self.sessions.append((name, conf, hive))

            def parquet(uri):
                self.read.append(uri)
                return self.staged

            return types.SimpleNamespace(stop=lambda: None, read=types.SimpleNamespace(parquet=parquet))

        patches = self.fs.patches() + [
            mock.patch.object(spark_io, "build_session", build),
            mock.patch.object(validate_job, "use_utc", lambda: self.utc.append(True)),
            mock.patch.dict(sys.modules, modules),
            mock.patch.dict("os.environ"),
        ]
        for p in patches:
            p.start()
        try:
            with mock.patch("sys.stdout"), mock.patch("sys.stderr"):
                return runner.run_job(parse_validate_batch(VALIDATE))
        finally:
            for p in reversed(patches):
                p.stop()

    def result(self):
        return json.loads(self.fs.files[RESULT_URI])

    def test_a_failed_suite_is_a_result_not_a_failed_step(self):
        modules = fake_gx(failing=(4, 8))
        self.assertEqual(self.run_job(modules), 0)
        doc = self.result()
        self.assertFalse(doc["success"])
        self.assertEqual(doc["statistics"]["unsuccessful_expectations"], 2)
        failed = [(r["expectation_config"]["type"], r["expectation_config"]["kwargs"].get("column"),
                   r["expectation_config"]["meta"]["lakeplane"])
                  for r in doc["results"] if not r["success"]]
        # index 8 is the contract's implicit not-null expectation on the precombine field
        self.assertEqual(failed, [
            ("expect_column_values_to_be_in_set", "status", {"index": 4, "severity": "warn"}),
            ("expect_column_values_to_not_be_null", "updated_at", {"index": 8, "severity": "fail"}),
        ])
        self.assertEqual(doc["meta"]["lakeplane"]["phase"], "validate")
        self.assertEqual(doc["meta"]["lakeplane"]["attempt"], 2)
        self.assertEqual(doc["meta"]["run_id"]["run_name"], "orders-0a1b2c-attempt-2")
        self.assertEqual(self.sessions, [("lakeplane validate orders orders-0a1b2c", {}, False)])
        self.assertEqual(self.read, ["s3://art/runs/orders-0a1b2c/attempt-2/staging/"])
        self.assertEqual(self.utc, [True])

    def test_the_gx_calls(self):
        modules = fake_gx()
        self.assertEqual(self.run_job(modules), 0)
        calls = modules["great_expectations"].calls
        self.assertEqual(calls["mode"], "ephemeral")
        self.assertEqual((calls["data_source"], calls["asset"], calls["batch_definition"]),
                         ("lakeplane_staging", "orders", "staged_batch"))
        self.assertIs(calls["run"]["batch_parameters"]["dataframe"], self.staged)
        self.assertEqual(calls["run"]["result_format"], {"result_format": "SUMMARY", "partial_unexpected_count": 20})
        self.assertEqual(calls["validation_definition"].name, "orders-orders-0a1b2c-attempt-2")
        self.assertEqual(calls["validation_definition"].data, ("batch definition", "staged_batch"))
        suite = calls["suite"]
        self.assertEqual(suite.name, "orders")
        self.assertEqual(
            [(type(e).__name__, e.kwargs["column"], e.kwargs["meta"]) for e in suite.expectations][:2],
            [("ExpectColumnValuesToNotBeNull", "order_id", {"lakeplane": {"index": 0, "severity": "fail"}}),
             ("ExpectColumnValuesToBeUnique", "order_id", {"lakeplane": {"index": 1, "severity": "fail"}})],
        )
        self.assertEqual(suite.expectations[7].kwargs["type_"], "DecimalType")
        # The contract's implicit expectation on the precombine field is evaluated like any other.
        implicit = suite.expectations[8]
        self.assertEqual(
            (type(implicit).__name__, implicit.kwargs),
            ("ExpectColumnValuesToNotBeNull",
             {"column": "updated_at", "meta": {"lakeplane": {"index": 8, "severity": "fail"}},
              "description": "precombine field: a record without it cannot be ordered against the stored row"}),
        )
        self.assertTrue(self.result()["success"])
        self.assertEqual(calls["analytics"], "False")

    def test_freshness_uses_the_clock_and_the_batch_column_type(self):
        self.document["expectations"] = [
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "order_date", "max_age_seconds": 86400},
             "severity": "warn"},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "updated_at", "max_age_seconds": 3600},
             "severity": "fail"},
        ]
        from lakeplane_jobs.contract import parse_contract

        modules = fake_gx()
        spark = types.SimpleNamespace(read=types.SimpleNamespace(parquet=lambda uri: self.staged))
        now = dt.datetime(2025, 1, 2, 0, 30, tzinfo=dt.timezone.utc)
        with mock.patch.dict(sys.modules, modules), mock.patch.object(validate_job, "use_utc", lambda: None):
            doc = validate_job.run_validate(spark, parse_validate_batch(VALIDATE), parse_contract(self.document),
                                            now=now, gx=modules["great_expectations"])
        suite = modules["great_expectations"].calls["suite"]
        self.assertEqual(suite.expectations[0].kwargs["min_value"], dt.date(2025, 1, 1))
        self.assertEqual(suite.expectations[1].kwargs["min_value"], dt.datetime(2025, 1, 1, 23, 30))
        self.assertEqual(doc["results"][1]["expectation_config"]["kwargs"],
                         {"column": "updated_at", "min_value": "2025-01-01T23:30:00"})
        self.assertEqual(modules["great_expectations"].calls["run"]["run_id"].run_time, now)
        self.assertEqual(doc["meta"]["lakeplane"]["validatedAt"], "2025-01-02T00:30:00.000000Z")

    def test_without_gx_the_step_fails_and_says_how_to_install_it(self):
        self.assertEqual(self.run_job({"great_expectations": None}), 1)
        doc = self.result()
        self.assertEqual(sorted(doc), ["dataset", "error", "loadId", "phase"])
        self.assertEqual((doc["phase"], doc["loadId"], doc["dataset"]), ("validate", "orders-0a1b2c", "orders"))
        self.assertIn("great_expectations is not installed", doc["error"])
        self.assertIn("great_expectations==1.8.1", doc["error"])

    def test_gx_0_x_is_refused(self):
        self.assertEqual(self.run_job(fake_gx(version="0.18.21")), 1)
        self.assertIn("needs GX Core 1.x", self.result()["error"])

    def test_a_bad_expectation_is_a_contract_error(self):
        self.document["expectations"][2]["kwargs"]["mostly"] = 2
        self.assertEqual(self.run_job(fake_gx()), 1)
        self.assertEqual(
            self.result()["error"],
            "contract s3://art/contracts/orders.json is invalid: expectations[2].kwargs.mostly: "
            "must be a number in (0, 1], got 2",
        )

    def test_no_expectations_needs_no_gx(self):
        self.document["expectations"] = []
        self.assertEqual(self.run_job({"great_expectations": None}), 0)
        doc = self.result()
        self.assertTrue(doc["success"])
        self.assertEqual(doc["results"], [])
        self.assertEqual(self.read, [])

    def test_gx_refusing_an_expectation_names_the_entry(self):
        modules = fake_gx()

        def refuse(self, **kwargs):
            raise ValueError("1 validation error for ExpectColumnValuesToMatchRegex")

        modules["great_expectations"].expectations.ExpectColumnValuesToMatchRegex.__init__ = refuse
        self.assertEqual(self.run_job(modules), 1)
        self.assertEqual(
            self.result()["error"],
            "expectations[5]: GX refused ExpectColumnValuesToMatchRegex: 1 validation error for "
            "ExpectColumnValuesToMatchRegex",
        )


if __name__ == "__main__":
    unittest.main()
