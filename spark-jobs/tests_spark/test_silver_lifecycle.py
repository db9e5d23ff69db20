"""The Silver table of orders through its life, for real: Hudi 1.0.2 upserts with event-time ordering,
Hive sync into the local metastore, savepoints with pruning, Gold, time travel, and both rollbacks."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import unittest

from . import support as S

D = decimal.Decimal
DB, GOLD_DB = "lake_silver", "lake_gold"
KEEP = "2"


def order(oid, status, updated, ts="2024-05-01T09:00:00Z", total=10, currency="EUR", fx=1.1, customer=None):
    return {"order_id": oid, "customer_id": customer or "c-" + oid, "status": status, "order_ts": ts,
            "order_total": total, "currency": currency, "fx_rate": fx, "updated_at": updated}


LOADS = {
    "L1": [
        order("o1", "placed", "2024-05-01T10:00:00Z", total=10.505),
        order("o2", "paid", "2024-05-01T11:00:00Z", ts="2024-05-01T11:00:00Z", total=20, currency="USD", fx=1),
        order("o4", "cancelled", "2024-05-02T12:00:00Z", ts="2024-05-02T12:00:00Z", total=7.25, currency="GBP", fx=1.25),
    ],
    "L2": [
        order("o1", "paid", "2024-05-01T12:00:00Z", total=10.505),  # newer: replaces
        order("o2", "cancelled", "2024-05-01T10:00:00Z", ts="2024-05-01T11:00:00Z", total=20, currency="USD", fx=1),  # stale
        order("o4", "refunded", "2024-05-02T12:00:00Z", ts="2024-05-02T12:00:00Z", total=7.25, currency="GBP", fx=1.25),  # tie
        order("o5", "placed", "2024-05-03T12:00:00Z", ts="2024-05-03T12:00:00Z", total=1),
        order("o5", "paid", "2024-05-03T12:00:00Z", ts="2024-05-03T12:00:00Z", total=1),  # same time, later line
    ],
    "L3": [
        order("o6", "placed", "2024-05-04T12:00:00Z", ts="2024-05-04T12:00:00Z", total=3, currency="USD", fx=1),
        order("o1", "shipped", "2024-05-05T12:00:00Z", total=10.505),
    ],
}
LOADS["L4"] = LOADS["L3"]  # the same file again, after the rollbacks


def silver_state():
    return {r["order_id"]: (r["status"], r["_hoodie_commit_time"])
            for r in S.sql_rows(f"SELECT order_id, status, _hoodie_commit_time FROM {DB}.orders")}


def commits():
    return sorted(r["commit_time"] for r in S.sql_rows(f"CALL show_commits(table => '{DB}.orders', limit => 100)"))


def savepoints():
    return sorted(r["savepoint_time"] for r in S.sql_rows(f"CALL show_savepoints(table => '{DB}.orders')"))


class SilverLifecycle(S.Steps):
    instants = {}

    def run_of(self, load, phase):
        return S.uri(f"lc/runs/{load}/attempt-1/{phase}.json")

    def load(self, load):
        """stage -> (validate) -> upsert -> savepoint, as the load-dataset state machine runs them."""
        source = S.write_ndjson(f"lc/bronze/orders/{load}.ndjson", LOADS[load])
        common = ["--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", load]
        staging = S.uri(f"lc/runs/{load}/attempt-1/staging/")
        code, stage, _ = S.run_step("bronze_to_silver.py", "--phase", "stage", *common, "--result", self.run_of(load, "stage"),
                                    "--input", source, "--staging", staging, "--quarantine", S.uri(f"lc/quarantine/{load}/"))
        self.assertEqual(code, 0, stage)
        if load == "L1":  # the gate's own story is test_stage_validate_quarantine's; once is enough here
            code, validation, _ = S.run_step("validate_batch.py", *common, "--attempt", "1",
                                             "--result", self.run_of(load, "validate"), "--staging", staging)
            self.assertEqual((code, validation["success"]), (0, True))
        code, upsert, _ = S.run_step("bronze_to_silver.py", "--phase", "upsert", *common, "--result", self.run_of(load, "upsert"),
                                     "--staging", staging, "--silver-path", S.uri("lc/silver/orders/"), "--database", DB)
        self.assertEqual(code, 0, upsert)
        code, savepoint, _ = S.run_step("savepoint_table.py", *common, "--attempt", "1", "--result", self.run_of(load, "savepoint"),
                                        "--upsert-result", self.run_of(load, "upsert"), "--database", DB, "--keep", KEEP)
        self.assertEqual(code, 0, savepoint)
        self.instants[load] = upsert["commitId"]
        return stage, upsert, savepoint

    def gold(self, load):
        code, result, _ = S.run_step(
            "silver_to_gold.py", "--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", load,
            "--result", self.run_of(load, "gold"), "--gold-path", S.uri("lc/gold/"),
            "--silver-database", DB, "--gold-database", GOLD_DB,
        )
        self.assertEqual(code, 0, result)
        return result

    def daily_revenue(self):
        return [(r["order_date"], r["orders"], r["revenue_usd"])
                for r in S.sql_rows(f"SELECT * FROM {GOLD_DB}.daily_revenue ORDER BY order_date")]

    def rollback(self, rid, *target):
        return S.run_step(
            "rollback_table.py", "--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", rid,
            "--attempt", "1", "--result", S.uri(f"lc/runs/{rid}/attempt-1/rollback.json"),
            "--silver-path", S.uri("lc/silver/orders/"), "--database", DB, *target,
        )

    def query(self, qid, instant, sql, limit="10"):
        return S.run_step(
            "query_table.py", "--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", qid,
            "--attempt", "1", "--result", S.uri(f"lc/runs/{qid}/attempt-1/query.json"), "--database", DB,
            "--gold-database", GOLD_DB, "--as-of", instant, "--sql", sql, "--limit", limit,
        )

    def test_01_first_load_creates_the_table_and_syncs_it(self):
        _, upsert, savepoint = self.load("L1")
        c1 = self.instants["L1"]
        self.assertEqual((upsert["inserted"], upsert["updated"], upsert["deleted"]), (3, 0, 0))
        self.assertRegex(c1, r"\A\d{17}\Z")
        self.assertEqual(commits(), [c1])
        self.assertEqual((savepoint["created"], savepoint["deleted"], savepoint["keep"]), (True, [], 2))
        # Hive sync put the table and its partitions in the metastore.
        self.assertTrue(S.session().catalog.tableExists("orders", DB))
        self.assertEqual([r["partition"] for r in S.sql_rows(f"SHOW PARTITIONS {DB}.orders")],
                         ["order_date=2024-05-01", "order_date=2024-05-02"])
        with open(S.path("lc/silver/orders/.hoodie/hoodie.properties"), encoding="utf-8") as f:
            props = dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))
        self.assertEqual(props["hoodie.table.version"], "8")
        self.assertEqual(props["hoodie.record.merge.mode"], "EVENT_TIME_ORDERING")
        self.assertEqual(props["hoodie.table.precombine.field"], "updated_at")
        self.assertEqual(props["hoodie.table.recordkey.fields"], "order_id")
        self.assertEqual(self.gold("L1")["tables"], [{"name": "daily_revenue", "rows": 1}])
        self.assertEqual(self.daily_revenue(), [(dt.date(2024, 5, 1), 2, D("31.56"))])

    def test_02_event_time_ordering(self):
        c1 = self.instants["L1"]
        stage, upsert, _ = self.load("L2")
        c2 = self.instants["L2"]
        self.assertEqual((stage["rowsStaged"], stage["duplicatesDropped"]), (4, 1))
        # o5 new; o1 (newer) and o4 (same updated_at: the later commit wins) updated; the stale o2
        # is kept as it was and counted in neither.
        self.assertEqual((upsert["inserted"], upsert["updated"], upsert["deleted"]), (1, 2, 0))
        self.assertEqual(silver_state(), {
            "o1": ("paid", c2), "o2": ("paid", c1), "o4": ("refunded", c2), "o5": ("paid", c2),
        })
        self.gold("L2")

    def test_03_savepoints_past_keep_are_deleted(self):
        _, upsert, savepoint = self.load("L3")
        c1, c2, c3 = (self.instants[k] for k in ("L1", "L2", "L3"))
        self.assertEqual((upsert["inserted"], upsert["updated"]), (1, 1))
        self.assertEqual((savepoint["created"], savepoint["deleted"]), (True, [c1]))
        self.assertEqual(savepoints(), [c2, c3])
        self.assertEqual(commits(), [c1, c2, c3])
        self.assertEqual(self.gold("L3")["tables"], [{"name": "daily_revenue", "rows": 4}])
        self.assertEqual(self.daily_revenue(), [
            (dt.date(2024, 5, 1), 2, D("31.56")), (dt.date(2024, 5, 2), 1, D("9.06")),
            (dt.date(2024, 5, 3), 1, D("1.10")), (dt.date(2024, 5, 4), 1, D("3.00")),
        ])
        # Three runs: the current and the previous run directory are kept.
        self.assertEqual(len(os.listdir(S.path("lc/gold/daily_revenue"))), 2)
        location = S.sql_rows(f"DESCRIBE FORMATTED {GOLD_DB}.daily_revenue")
        where = next(r["data_type"] for r in location if r["col_name"] == "Location")
        self.assertTrue(where.rstrip("/").endswith("-L3"), where)

    def test_04_query_as_of_a_commit(self):
        c1, c3 = self.instants["L1"], self.instants["L3"]
        code, result, _ = self.query("Q1", c1, "SELECT order_id, status, order_total, updated_at FROM silver.orders ORDER BY order_id")
        self.assertEqual(code, 0, result)
        self.assertEqual(result["columns"], ["order_id", "status", "order_total", "updated_at"])
        self.assertEqual(result["rows"], [
            {"order_id": "o1", "status": "placed", "order_total": "10.51", "updated_at": "2024-05-01T10:00:00"},
            {"order_id": "o2", "status": "paid", "order_total": "20.00", "updated_at": "2024-05-01T11:00:00"},
            {"order_id": "o4", "status": "cancelled", "order_total": "7.25", "updated_at": "2024-05-02T12:00:00"},
        ])
        self.assertFalse(result["truncated"])
        code, result, _ = self.query(
            "Q2", c3, "SELECT o.order_id, g.orders FROM silver.orders o JOIN gold.daily_revenue g "
                      "ON o.order_date = g.order_date ORDER BY o.order_id", limit="2")
        self.assertEqual(code, 0, result)
        self.assertEqual((result["rows"], result["truncated"]),
                         ([{"order_id": "o1", "orders": 2}, {"order_id": "o2", "orders": 2}], True))
        code, result, _ = self.query("Q3", c1, "DELETE FROM silver.orders")
        self.assertEqual((code, result["error"]), (1, "a query as of a commit must be a SELECT (or WITH ... SELECT), not DELETE"))

    def test_05_rollback_refuses_what_rollback_to_instant_cannot_do(self):
        c1, c2, c3 = (self.instants[k] for k in ("L1", "L2", "L3"))
        code, result, _ = self.rollback("R0", "--to-instant", c1)
        self.assertEqual(code, 1)
        self.assertEqual(
            result["error"],
            f"{DB}.orders: cannot return to {c1}: 2 commits are after it ({c2} ... {c3}), rollback_to_instant rolls back "
            f"only the latest commit, and there is no savepoint at {c1}; the table has no savepoint at or before it "
            f"(the nearest is {c2}, which is after it)",
        )
        self.assertEqual(commits(), [c1, c2, c3])

    def test_06_restore_a_savepoint_dry_run_then_for_real(self):
        c1, c2, c3 = (self.instants[k] for k in ("L1", "L2", "L3"))
        code, dry, _ = self.rollback("R1", "--savepoint", c2, "--dry-run")
        self.assertEqual(code, 0, dry)
        expected = {"rowsBefore": 5, "rowsAfter": 4, "removed": 1, "restored": 0, "reverted": 1,
                    "phase": "rollback", "loadId": "R1", "dataset": "orders", "toInstant": c2, "savepoint": c2,
                    "dryRun": True, "commitsRolledBack": [c3], "savepointsDeleted": []}
        self.assertEqual(dry, expected)
        self.assertEqual((commits(), savepoints()), ([c1, c2, c3], [c2, c3]))
        code, done, _ = self.rollback("R2", "--savepoint", c2)
        self.assertEqual(code, 0, done)
        self.assertEqual(done, dict(expected, loadId="R2", dryRun=False, savepointsDeleted=[c3]))
        self.assertEqual((commits(), savepoints()), ([c1, c2], [c2]))
        self.assertEqual(silver_state(), {
            "o1": ("paid", c2), "o2": ("paid", c1), "o4": ("refunded", c2), "o5": ("paid", c2),
        })

    def test_07_return_to_an_instant_dry_run_then_for_real(self):
        c1, c2 = self.instants["L1"], self.instants["L2"]
        code, dry, _ = self.rollback("R3", "--to-instant", c1, "--dry-run")
        self.assertEqual(code, 0, dry)
        expected = {"rowsBefore": 4, "rowsAfter": 3, "removed": 1, "restored": 0, "reverted": 2,
                    "phase": "rollback", "loadId": "R3", "dataset": "orders", "toInstant": c1, "savepoint": None,
                    "dryRun": True, "commitsRolledBack": [c2], "savepointsDeleted": []}
        self.assertEqual(dry, expected)
        code, done, _ = self.rollback("R4", "--to-instant", c1)
        self.assertEqual(code, 0, done)
        # c2's savepoint had to go first: Hudi does not roll back a savepointed commit.
        self.assertEqual(done, dict(expected, loadId="R4", dryRun=False, savepointsDeleted=[c2]))
        self.assertEqual((commits(), savepoints()), ([c1], []))
        self.assertEqual(silver_state(), {"o1": ("placed", c1), "o2": ("paid", c1), "o4": ("cancelled", c1)})
        code, again, _ = self.rollback("R5", "--to-instant", c1)
        self.assertEqual((code, again["commitsRolledBack"], again["savepoint"]), (0, [], None))
        # As of the commit the rollback removed: Hudi reads c1, and the result says so.
        code, result, _ = self.query("Q4", c2, "SELECT order_id, status FROM silver.orders ORDER BY order_id")
        self.assertEqual(code, 0, result)
        self.assertEqual(result["asOf"], c1)
        self.assertEqual([r["status"] for r in result["rows"]], ["placed", "paid", "cancelled"])

    def test_08_the_table_takes_loads_after_a_rollback(self):
        _, upsert, savepoint = self.load("L4")
        self.assertEqual((upsert["inserted"], upsert["updated"]), (1, 1))
        self.assertTrue(savepoint["created"])
        self.assertEqual(silver_state()["o1"], ("shipped", upsert["commitId"]))

if __name__ == "__main__":
    unittest.main()
