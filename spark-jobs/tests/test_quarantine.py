"""The pure parts of the quarantine phase: where the batch goes, the overlap check, the manifest."""

import json
import types
import unittest

from lakeplane_jobs.cli import parse_bronze_to_silver
from lakeplane_jobs.paths import prefixes_overlap, staged_batch_uri
from lakeplane_jobs.quarantine_job import JSON_OPTIONS, ddl_schema, manifest_rows, manifest_uri, quarantine_manifest

from .test_cli import QUARANTINE

LOCATION = "s3://quarantine/orders/orders-0a1b2c/attempt-2/staged-batch/"


class Location(unittest.TestCase):
    def test_staged_batch_under_the_quarantine_prefix(self):
        self.assertEqual(staged_batch_uri("s3://quarantine/orders/orders-0a1b2c/attempt-2/"), LOCATION)
        self.assertEqual(staged_batch_uri("s3://quarantine/orders/orders-0a1b2c/attempt-2"), LOCATION)
        self.assertEqual(staged_batch_uri("s3://q/"), "s3://q/staged-batch/")
        self.assertEqual(staged_batch_uri("file:/tmp/q/"), "file:/tmp/q/staged-batch/")
        self.assertEqual(manifest_uri(LOCATION), LOCATION + "_lakeplane.json")

    def test_prefixes_overlap(self):
        self.assertTrue(prefixes_overlap("s3://a/x/", "s3://a/x/"))
        self.assertTrue(prefixes_overlap("s3://a/x", "s3://a/x/y/"))
        self.assertTrue(prefixes_overlap("s3://a/x/y/", "s3://a/x/"))
        self.assertTrue(prefixes_overlap("s3a://a/x/", "s3://a/x/y/"))
        self.assertFalse(prefixes_overlap("s3://a/x/", "s3://a/xy/"))
        self.assertFalse(prefixes_overlap("s3://a/x/staging/", "s3://a/x/staged-batch/"))
        self.assertFalse(prefixes_overlap("s3://a/x/", "s3://b/x/"))
        self.assertFalse(prefixes_overlap("hdfs://a/x/", "s3://a/x/"))


class Manifest(unittest.TestCase):
    def setUp(self):
        self.args = parse_bronze_to_silver(QUARANTINE)

    def manifest(self, **changes):
        doc = quarantine_manifest(self.args, "orders", 8, "`order_id` string")
        doc.update(changes)
        return json.dumps(doc)

    def test_shape(self):
        self.assertEqual(
            quarantine_manifest(self.args, "orders", 8, "`order_id` string, `order_date` date"),
            {
                "phase": "quarantine",
                "loadId": "orders-0a1b2c",
                "dataset": "orders",
                "attempt": 2,
                "staging": "s3://art/runs/orders-0a1b2c/attempt-2/staging/",
                "location": LOCATION,
                "rows": 8,
                "format": "JSON lines, gzip (part-*.json.gz)",
                "schema": "`order_id` string, `order_date` date",
            },
        )

    def test_rows_of_a_manifest_of_this_load_attempt(self):
        self.assertEqual(manifest_rows(self.manifest(), self.args, "orders"), 8)
        self.assertEqual(manifest_rows(self.manifest(rows=0), self.args, "orders"), 0)

    def test_anything_else_is_not_trusted(self):
        for text in (
            self.manifest(loadId="orders-other"),
            self.manifest(attempt=1),
            self.manifest(dataset="order_items"),
            self.manifest(staging="s3://art/runs/orders-0a1b2c/attempt-1/staging/"),
            self.manifest(rows=-1),
            self.manifest(rows=True),
            self.manifest(rows="8"),
            self.manifest(rows=None),
            "[]",
            "{",
            "",
        ):
            with self.subTest(text=text):
                self.assertIsNone(manifest_rows(text, self.args, "orders"))

    def test_ddl_schema(self):
        def field(name, type_name):
            return types.SimpleNamespace(name=name, dataType=types.SimpleNamespace(simpleString=lambda: type_name))

        df = types.SimpleNamespace(schema=types.SimpleNamespace(fields=[
            field("order_id", "string"), field("order_total", "decimal(12,2)"), field("we`ird", "timestamp"),
        ]))
        self.assertEqual(ddl_schema(df), "`order_id` string, `order_total` decimal(12,2), `we``ird` timestamp")

    def test_json_options(self):
        self.assertEqual(JSON_OPTIONS["compression"], "gzip")
        self.assertEqual(JSON_OPTIONS["ignoreNullFields"], "false")


if __name__ == "__main__":
    unittest.main()
