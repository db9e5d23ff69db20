import datetime as dt
import unittest

from lakeplane_jobs.gold import (
    create_table_sql,
    drop_table_sql,
    gold_table_uri,
    run_dir_name,
    runs_to_delete,
    set_location_sql,
    table_action,
)
from lakeplane_jobs.paths import basename, join_uri, parent_uri, scratch_input_uri

NOW = dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)


class Layout(unittest.TestCase):
    def test_table_and_run_dirs(self):
        self.assertEqual(gold_table_uri("s3://gold/", "daily_revenue"), "s3://gold/daily_revenue/")
        self.assertEqual(gold_table_uri("s3://gold/lake", "sku_sales"), "s3://gold/lake/sku_sales/")
        self.assertEqual(run_dir_name("orders-0a1b", NOW), "20250102T030405678Z-orders-0a1b")
        self.assertEqual(run_dir_name("odd:id/x", NOW), "20250102T030405678Z-odd_id_x")
        later = dt.datetime(2025, 1, 2, 4, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        self.assertEqual(run_dir_name("l", later), "20250102T030405000Z-l")

    def test_runs_to_delete_keeps_current_and_previous(self):
        existing = [
            "20250101T000000000Z-a/",
            "20250102T000000000Z-b",
            "20250103T000000000Z-c",
            "_temporary",
            "notes",
            "20250104T000000000Z-d",
        ]
        current = "20250104T000000000Z-d"
        self.assertEqual(runs_to_delete(existing, current), ["20250101T000000000Z-a", "20250102T000000000Z-b"])
        self.assertEqual(runs_to_delete(existing, current, keep=1), [
            "20250101T000000000Z-a", "20250102T000000000Z-b", "20250103T000000000Z-c"])
        self.assertEqual(runs_to_delete([], current), [])
        self.assertEqual(runs_to_delete([current], current), [])

    def test_table_action(self):
        cols = [("order_date", "date"), ("orders", "bigint"), ("revenue_usd", "decimal(18,2)")]
        self.assertEqual(table_action(None, cols), "create")
        self.assertEqual(table_action([("ORDER_DATE", "DATE")] + cols[1:], cols), "set_location")
        self.assertEqual(table_action(cols[:2], cols), "replace")
        self.assertEqual(table_action([("order_date", "date"), ("orders", "int"), cols[2]], cols), "replace")

    def test_ddl(self):
        self.assertEqual(
            set_location_sql("lake_gold", "daily_revenue", "s3://gold/daily_revenue/20250102T030405678Z-l/"),
            "ALTER TABLE lake_gold.daily_revenue SET LOCATION 's3://gold/daily_revenue/20250102T030405678Z-l/'",
        )
        self.assertEqual(
            create_table_sql("lake-gold", "sku_sales", [("sku", "string"), ("units", "bigint")], "s3://g/it's/"),
            "CREATE TABLE `lake-gold`.sku_sales (`sku` string, `units` bigint) USING parquet "
            "LOCATION 's3://g/it\\'s/'",
        )
        self.assertEqual(drop_table_sql("lake_gold", "sku_sales"), "DROP TABLE IF EXISTS lake_gold.sku_sales")


class Paths(unittest.TestCase):
    def test_join_parent_basename(self):
        self.assertEqual(join_uri("s3://b/", "/x/", "y"), "s3://b/x/y")
        self.assertEqual(parent_uri("s3://b/runs/L/attempt-1/staging/"), "s3://b/runs/L/attempt-1/")
        self.assertEqual(parent_uri("s3://b/key.ndjson"), "s3://b/")
        self.assertEqual(parent_uri("s3://b/"), "s3://b/")
        self.assertEqual(basename("s3://bronze/orders/2024/05/01/part-1.ndjson"), "part-1.ndjson")

    def test_scratch_copy_is_beside_staging_not_in_it(self):
        staging = "s3://art/runs/orders-1/attempt-2/staging/"
        scratch = scratch_input_uri(staging, "orders-1", "s3://bronze/orders/2024/05/01/f.ndjson")
        self.assertEqual(scratch, "s3://art/runs/orders-1/attempt-2/_input/orders-1/f.ndjson")
        self.assertFalse(scratch.startswith(staging))


if __name__ == "__main__":
    unittest.main()
