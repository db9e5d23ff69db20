"""The Spark-side control flow of the upsert, gold and runner code, on fakes.

PySpark is not installed here, so these tests stand in a tiny fake for the few Spark calls
those modules make (and an in-memory file system for lakeplane_jobs.spark_io), and check
what the jobs do with them: which Hudi options and columns are written, how the new commit
is found and read back in both timeline layouts, which DDL the gold job issues, and what the
runner writes to --result. The stage phase's row logic is tested without Spark in
test_casting and test_dedupe.
"""

import datetime as dt
import json
import sys
import types
import unittest
from unittest import mock

from lakeplane_jobs import gold_job, runner, spark_io, upsert_job
from lakeplane_jobs.cli import parse_bronze_to_silver, parse_silver_to_gold
from lakeplane_jobs.errors import JobFailure

from .helpers import HOODIE_COMMIT_METADATA_SCHEMA, avro_container, fixture_contract, fixture_document, write_stat
from .test_cli import GOLD, STAGE, UPSERT


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
    def __init__(self, rows, columns, on_save=None, on_parquet=None):
        self.rows, self.columns = rows, list(columns)
        self.added = {}
        self.on_save, self.on_parquet = on_save, on_parquet
        self.options_written = None

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
                return self

            def save(self, path):
                df.on_save(path, df)

            def parquet(self, path):
                df.on_parquet(path, df)

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
        self.staged = [("row",)]
        fake = self

        class Spark:
            read = types.SimpleNamespace(parquet=lambda path: FakeDF(fake.staged, [], on_save=fake.hudi_save))

        self.spark = Spark()
        self.layout = "1.x"

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

    def upsert(self, argv, contract, hudi_version=8):
        args = parse_bronze_to_silver(argv)
        with mock.patch.dict(sys.modules, fake_pyspark()):
            patches = self.fs.patches(hudi_version)
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

    def test_a_write_without_a_new_commit_fails(self):
        self.hudi_save = lambda base, df: None
        with self.assertRaises(JobFailure) as cm:
            self.upsert(UPSERT, fixture_contract("orders"))
        self.assertIn("left no new commit on the timeline of s3://silver/orders", str(cm.exception))


class Gold(unittest.TestCase):
    def setUp(self):
        self.fs = MemoryFS()
        self.statements = []
        self.tables = {}
        self.data = {}
        fake = self

        class Catalog:
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

    def test_changed_columns_replace_the_table(self):
        self.tables[("lake_gold", "daily_revenue")] = [("order_date", "date"), ("orders", "int")]
        self.gold(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
        self.assertEqual(self.statements[1], "DROP TABLE IF EXISTS lake_gold.daily_revenue")
        self.assertTrue(self.statements[2].startswith("CREATE TABLE lake_gold.daily_revenue"))


class Runner(unittest.TestCase):
    def setUp(self):
        self.fs = MemoryFS()
        self.fs.files["s3://art/contracts/orders.json"] = json.dumps(fixture_document("orders")).encode()
        self.stopped = []
        self.sessions = []

    def run_job(self, argv, stage=None):
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
            return runner.run_job(args)
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

    def test_upsert_and_gold_sessions_get_hudi_settings_and_glue(self):
        settings = runner.session_settings(parse_bronze_to_silver(UPSERT))
        self.assertTrue(settings["hive"])
        self.assertEqual(settings["conf"]["spark.kryo.registrator"], "org.apache.spark.HoodieSparkKryoRegistrar")
        self.assertTrue(runner.session_settings(parse_silver_to_gold(GOLD))["hive"])


if __name__ == "__main__":
    unittest.main()
