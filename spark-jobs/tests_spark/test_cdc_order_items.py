"""A CDC dataset for real (order_items: composite key, DMS ``Op`` column): deletes go in the same Hudi
commit as the upserts, a stale delete is ignored, and Gold reads what is left."""

from __future__ import annotations

import decimal
import unittest

from . import support as S

D = decimal.Decimal
DB, GOLD_DB = "silver", "gold"


def item(op, ts, oid, line, sku, qty, price="1.50", day="2024-05-01"):
    row = {"dms_commit_ts": ts, "order_id": oid, "line_no": line, "sku": sku, "quantity": qty,
           "unit_price": price, "order_date": day}
    if op is not None:
        row["Op"] = op
    return row


LOADS = {
    "I1": [  # a full load has no Op
        item(None, "2024-05-01T10:00:00Z", "A", 1, "s1", 2),
        item(None, "2024-05-01T10:00:00Z", "A", 2, "s2", 1, price="10.00"),
        item(None, "2024-05-01T10:00:00Z", "B", 1, "s1", 4, day="2024-05-02"),
        item(None, "2024-05-01T10:00:00Z", "C", 1, "s3", 5, price="2.00", day="2024-05-02"),
    ],
    "I2": [
        item("D", "2024-05-01T11:00:00Z", "A", 2, "s2", 1, price="10.00"),  # delete
        item("U", "2024-05-01T11:00:00Z", "B", 1, "s1", 6, day="2024-05-02"),  # update
        item(" d ", "2024-05-01T11:00:00Z", "C", 1, "s3", 5, price="2.00", day="2024-05-02"),  # delete, any case, trimmed
        item("D", "2024-05-01T09:00:00Z", "A", 1, "s1", 2),  # older than the stored row: ignored
        item("I", "2024-05-01T11:00:00Z", "A", 3, "s3", 1, price="2.00"),  # insert
    ],
}


class CdcOrderItems(S.Steps):
    instants = {}

    def load(self, load):
        source = S.write_ndjson(f"cdc/bronze/order_items/{load}.ndjson", LOADS[load])
        common = ["--dataset", "order_items", "--contract", S.contract_uri("order_items"), "--load-id", load]
        run = f"cdc/runs/{load}/attempt-1"
        staging = S.uri(f"{run}/staging/")
        code, stage, _ = S.run_step("bronze_to_silver.py", "--phase", "stage", *common, "--result", S.uri(f"{run}/stage.json"),
                                    "--input", source, "--staging", staging, "--quarantine", S.uri(f"cdc/quarantine/{load}/"))
        self.assertEqual(code, 0, stage)
        code, upsert, _ = S.run_step("bronze_to_silver.py", "--phase", "upsert", *common, "--result", S.uri(f"{run}/upsert.json"),
                                     "--staging", staging, "--silver-path", S.uri("cdc/silver/order_items/"), "--database", DB)
        self.assertEqual(code, 0, upsert)
        self.instants[load] = upsert["commitId"]
        return stage, upsert

    def rows(self):
        return {(r["order_id"], r["line_no"]): (r["quantity"], r["Op"])
                for r in S.sql_rows(f"SELECT order_id, line_no, quantity, Op FROM {DB}.order_items")}

    def test_01_full_load(self):
        _, upsert = self.load("I1")
        self.assertEqual((upsert["inserted"], upsert["updated"], upsert["deleted"]), (4, 0, 0))
        keys = sorted(r["_hoodie_record_key"] for r in S.sql_rows(f"SELECT _hoodie_record_key FROM {DB}.order_items"))
        self.assertEqual(keys[0], "order_id:A,line_no:1")  # ComplexKeyGenerator for the composite key

    def test_02_changes_and_deletes_in_one_commit(self):
        stage, upsert = self.load("I2")
        self.assertEqual(stage["rowsStaged"], 5)
        self.assertEqual((upsert["inserted"], upsert["updated"], upsert["deleted"]), (1, 1, 2))
        self.assertEqual(self.rows(), {("A", 1): (2, None), ("A", 3): (1, "I"), ("B", 1): (6, "U")})
        instants = sorted(r["commit_time"] for r in S.sql_rows(f"CALL show_commits(table => '{DB}.order_items', limit => 10)"))
        self.assertEqual(instants, [self.instants["I1"], self.instants["I2"]])

    def test_03_gold_over_the_live_lines(self):
        code, result, _ = S.run_step(
            "silver_to_gold.py", "--dataset", "order_items", "--contract", S.contract_uri("order_items"),
            "--load-id", "I2", "--result", S.uri("cdc/runs/I2/attempt-1/gold.json"), "--gold-path", S.uri("cdc/gold/"),
            "--silver-database", DB, "--gold-database", GOLD_DB,
        )
        self.assertEqual(code, 0, result)
        self.assertEqual(result["tables"], [{"name": "sku_sales", "rows": 2}])
        self.assertEqual(
            [(r["sku"], r["units"], r["revenue"]) for r in S.sql_rows(f"SELECT * FROM {GOLD_DB}.sku_sales ORDER BY sku")],
            [("s1", 8, D("12.00")), ("s3", 1, D("2.00"))],
        )

    def test_04_query_before_the_deletes(self):
        code, result, _ = S.run_step(
            "query_table.py", "--dataset", "order_items", "--contract", S.contract_uri("order_items"), "--load-id", "Q1",
            "--attempt", "1", "--result", S.uri("cdc/runs/Q1/attempt-1/query.json"), "--database", DB,
            "--gold-database", GOLD_DB, "--as-of", self.instants["I1"],
            "--sql", "SELECT count(*) AS n, sum(quantity) AS q FROM silver.order_items",
            "--limit", "5",
        )
        self.assertEqual(code, 0, result)
        self.assertEqual(result["rows"], [{"n": 4, "q": 12}])


if __name__ == "__main__":
    unittest.main()
