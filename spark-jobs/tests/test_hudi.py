import json
import unittest

from lakeplane_jobs import hudi
from lakeplane_jobs.hudi import (
    DEFAULT_HUDI_LINE,
    EMR7_HUDI_VERSIONS,
    HUDI_SPARK_CONF,
    TimelineEntry,
    choose_commit,
    commit_load_id,
    completed_writes,
    decode_commit_metadata,
    delete_flag_expression,
    hudi_line_for_table_version,
    hudi_line_mismatch,
    hudi_write_options,
    instant_file_uri,
    new_writes,
    parse_timeline_file,
    stale_record_protection,
)

from .helpers import HOODIE_COMMIT_METADATA_SCHEMA, avro_container, fixture_contract, write_stat

COMMON_ORDERS = {
    "hoodie.table.name": "orders",
    "hoodie.datasource.write.table.name": "orders",
    "hoodie.datasource.write.operation": "upsert",
    "hoodie.datasource.write.table.type": "COPY_ON_WRITE",
    "hoodie.datasource.write.recordkey.field": "order_id",
    "hoodie.datasource.write.keygenerator.class": "org.apache.hudi.keygen.SimpleKeyGenerator",
    "hoodie.datasource.write.partitionpath.field": "order_date",
    "hoodie.datasource.write.hive_style_partitioning": "true",
    "hoodie.datasource.write.precombine.field": "updated_at",
    "hoodie.index.type": "GLOBAL_SIMPLE",
    "hoodie.simple.index.update.partition.path": "true",
    "hoodie.datasource.hive_sync.enable": "true",
    "hoodie.datasource.hive_sync.mode": "hms",
    "hoodie.datasource.hive_sync.database": "lake_silver",
    "hoodie.datasource.hive_sync.table": "orders",
    "hoodie.datasource.hive_sync.partition_fields": "order_date",
    "hoodie.datasource.hive_sync.partition_extractor_class": "org.apache.hudi.hive.MultiPartKeysValueExtractor",
    "hoodie.datasource.hive_sync.support_timestamp": "true",
    "_lakeplane.loadId": "orders-0123",
}
COMMON_ITEMS = dict(
    COMMON_ORDERS,
    **{
        "hoodie.table.name": "order_items",
        "hoodie.datasource.write.table.name": "order_items",
        "hoodie.datasource.write.recordkey.field": "order_id,line_no",
        "hoodie.datasource.write.keygenerator.class": "org.apache.hudi.keygen.ComplexKeyGenerator",
        "hoodie.datasource.write.precombine.field": "dms_commit_ts",
        "hoodie.datasource.hive_sync.table": "order_items",
        "_lakeplane.loadId": "order_items-0123",
    },
)
ZERO_X = "org.apache.hudi.common.model.DefaultHoodieRecordPayload"


class Options(unittest.TestCase):
    def test_default_line_is_what_current_emr_7_ships(self):
        self.assertEqual(DEFAULT_HUDI_LINE, "1.x")
        latest_release, latest_hudi = EMR7_HUDI_VERSIONS[-1]
        self.assertEqual((latest_release, latest_hudi), ("emr-7.13.0", "1.0.2-amzn-2"))
        self.assertEqual(dict(EMR7_HUDI_VERSIONS)["emr-7.10.0"], "0.15.0-amzn-7")
        self.assertEqual(dict(EMR7_HUDI_VERSIONS)["emr-7.11.0"], "1.0.2-amzn-0")

    def test_orders_hudi_1x(self):
        self.assertEqual(
            hudi_write_options(fixture_contract("orders"), "lake_silver", "1.x", "orders-0123"),
            dict(
                COMMON_ORDERS,
                **{
                    "hoodie.write.record.merge.mode": "EVENT_TIME_ORDERING",
                    "hoodie.record.merge.mode": "EVENT_TIME_ORDERING",
                },
            ),
        )

    def test_orders_hudi_0x(self):
        self.assertEqual(
            hudi_write_options(fixture_contract("orders"), "lake_silver", "0.x", "orders-0123"),
            dict(
                COMMON_ORDERS,
                **{
                    "hoodie.datasource.write.payload.class": ZERO_X,
                    "hoodie.payload.ordering.field": "updated_at",
                },
            ),
        )

    def test_order_items_composite_key_on_both_lines(self):
        c = fixture_contract("order_items")
        self.assertEqual(
            hudi_write_options(c, "lake_silver", "1.x", "order_items-0123"),
            dict(
                COMMON_ITEMS,
                **{
                    "hoodie.write.record.merge.mode": "EVENT_TIME_ORDERING",
                    "hoodie.record.merge.mode": "EVENT_TIME_ORDERING",
                },
            ),
        )
        self.assertEqual(
            hudi_write_options(c, "lake_silver", "0.x", "order_items-0123"),
            dict(
                COMMON_ITEMS,
                **{
                    "hoodie.datasource.write.payload.class": ZERO_X,
                    "hoodie.payload.ordering.field": "dms_commit_ts",
                },
            ),
        )

    def test_default_line_and_no_load_id(self):
        opts = hudi_write_options(fixture_contract("orders"), "db")
        self.assertEqual(opts["hoodie.write.record.merge.mode"], "EVENT_TIME_ORDERING")
        self.assertNotIn("hoodie.datasource.write.payload.class", opts)
        self.assertNotIn("_lakeplane.loadId", opts)

    def test_stale_record_protection_on_both_lines(self):
        for name in ("orders", "order_items"):
            for line in ("0.x", "1.x"):
                with self.subTest(dataset=name, line=line):
                    opts = hudi_write_options(fixture_contract(name), "db", line)
                    self.assertTrue(stale_record_protection(opts))
                    self.assertEqual(opts["hoodie.datasource.write.operation"], "upsert")
        unsafe = hudi_write_options(fixture_contract("orders"), "db", "1.x")
        del unsafe["hoodie.write.record.merge.mode"]
        self.assertFalse(stale_record_protection(unsafe))
        unsafe = hudi_write_options(fixture_contract("orders"), "db", "0.x")
        unsafe["hoodie.datasource.write.payload.class"] = "org.apache.hudi.common.model.OverwriteWithLatestAvroPayload"
        self.assertFalse(stale_record_protection(unsafe))

    def test_unknown_line(self):
        with self.assertRaises(ValueError) as cm:
            hudi_write_options(fixture_contract("orders"), "db", "2.x")
        self.assertEqual(str(cm.exception), "unknown Hudi line '2.x'; use one of 0.x, 1.x")

    def test_cdc_delete_flag(self):
        self.assertEqual(
            delete_flag_expression(fixture_contract("order_items")), "coalesce(upper(trim(`Op`)) = 'D', false)"
        )
        self.assertIsNone(delete_flag_expression(fixture_contract("orders")))
        self.assertEqual(hudi.DELETE_COLUMN, "_hoodie_is_deleted")

    def test_spark_conf(self):
        self.assertEqual(HUDI_SPARK_CONF["spark.serializer"], "org.apache.spark.serializer.KryoSerializer")
        self.assertEqual(
            HUDI_SPARK_CONF["spark.sql.catalog.spark_catalog"], "org.apache.spark.sql.hudi.catalog.HoodieCatalog"
        )
        self.assertEqual(
            HUDI_SPARK_CONF["spark.sql.extensions"], "org.apache.spark.sql.hudi.HoodieSparkSessionExtension"
        )


class Versions(unittest.TestCase):
    def test_line_of_table_version(self):
        self.assertEqual(hudi_line_for_table_version(6), "0.x")  # Hudi 0.14 / 0.15
        self.assertEqual(hudi_line_for_table_version(8), "1.x")  # Hudi 1.0
        self.assertEqual(hudi_line_for_table_version(9), "1.x")  # Hudi 1.1

    def test_mismatch(self):
        self.assertIsNone(hudi_line_mismatch("1.x", "1.x"))
        self.assertEqual(
            hudi_line_mismatch("1.x", "0.x"),
            "--hudi-version 1.x was asked for, but the cluster runs Hudi 0.x; pass --hudi-version 0.x "
            "(the 1.x options would not protect against stale records there)",
        )
        self.assertIn("/usr/lib/hudi/hudi-spark-bundle.jar", hudi_line_mismatch("1.x", None))


V1 = "20250102030405678"
C1 = "20250102030411123"


class Timeline(unittest.TestCase):
    def test_parse_names_of_both_layouts(self):
        self.assertEqual(parse_timeline_file(f"{V1}.commit"), TimelineEntry(V1, "commit", "completed"))
        self.assertEqual(parse_timeline_file(f"{V1}_{C1}.commit"), TimelineEntry(V1, "commit", "completed", C1))
        self.assertEqual(parse_timeline_file(f"{V1}.commit.requested"), TimelineEntry(V1, "commit", "requested"))
        self.assertEqual(parse_timeline_file(f"{V1}.inflight"), TimelineEntry(V1, "commit", "inflight"))
        self.assertEqual(
            parse_timeline_file(f"{V1}.replacecommit.inflight"), TimelineEntry(V1, "replacecommit", "inflight")
        )
        for other in ("hoodie.properties", ".aux", "archived", "metadata", "timeline", f"{V1}.commit.crc"):
            self.assertIsNone(parse_timeline_file(other), other)

    def test_completed_writes_and_new_ones(self):
        before = completed_writes(["20250101000000000.commit", "20250101000000000.clean", "hoodie.properties"])
        after = completed_writes(
            [
                "20250101000000000.commit",
                "20250101000000000.clean",
                f"{V1}.commit.requested",
                f"{V1}.inflight",
                f"{V1}.commit",
                "20250103000000000.rollback",
            ]
        )
        self.assertEqual([e.instant for e in after], ["20250101000000000", V1])
        self.assertEqual(new_writes(before, after), [TimelineEntry(V1, "commit", "completed")])

    def test_instant_file_uri(self):
        self.assertEqual(
            instant_file_uri("s3://silver/orders/", TimelineEntry(V1, "commit", "completed")),
            f"s3://silver/orders/.hoodie/{V1}.commit",
        )
        self.assertEqual(
            instant_file_uri("s3://silver/orders", TimelineEntry(V1, "commit", "completed", C1)),
            f"s3://silver/orders/.hoodie/timeline/{V1}_{C1}.commit",
        )


METADATA = {
    "partitionToWriteStats": {
        "order_date=2024-05-01": [
            write_stat("order_date=2024-05-01", "f1", 3, 2, 0),
            write_stat("order_date=2024-05-01", "f2", None, 1, 1),
        ],
        "order_date=2024-05-02": [write_stat("order_date=2024-05-02", "f3", 4, 0, 2)],
    },
    "extraMetadata": {"schema": "{}", "_lakeplane.loadId": "orders-0123"},
    "version": 1,
    "operationType": "UPSERT",
}


class CommitMetadata(unittest.TestCase):
    def test_metadata_from_0x_json(self):
        data = json.dumps(dict(METADATA, compacted=False), indent=2).encode("utf-8")
        md = decode_commit_metadata(data)
        self.assertEqual(commit_load_id(md), "orders-0123")
        self.assertEqual(md["partitionToWriteStats"], METADATA["partitionToWriteStats"])

    def test_metadata_from_1x_avro(self):
        for codec in ("null", "deflate"):
            with self.subTest(codec=codec):
                data = avro_container(HOODIE_COMMIT_METADATA_SCHEMA, [METADATA], codec)
                md = decode_commit_metadata(data)
                self.assertEqual(commit_load_id(md), "orders-0123")
                self.assertEqual(md["operationType"], "UPSERT")

    def test_empty_and_missing(self):
        self.assertEqual(decode_commit_metadata(b""), {})
        self.assertIsNone(commit_load_id({"extraMetadata": None}))
        with self.assertRaises(ValueError):
            decode_commit_metadata(b"[1,2]")

    def test_choose_commit(self):
        a = (TimelineEntry("1", "commit", "completed"), {"extraMetadata": {"_lakeplane.loadId": "L"}})
        b = (TimelineEntry("2", "commit", "completed"), {"extraMetadata": {}})
        self.assertIs(choose_commit([b, a], "L"), a)
        self.assertIs(choose_commit([a, b], "other"), b)
        self.assertIsNone(choose_commit([], "L"))


if __name__ == "__main__":
    unittest.main()
