"""stage, validate and quarantine for real: Bronze NDJSON -> typed, checked, deduped Parquet; GX 1.8.1
on the staged batch; a batch that fails the gate moved to quarantine (orders contract)."""

from __future__ import annotations

import datetime as dt
import decimal
import glob
import gzip
import json
import os
import unittest

from . import support as S

D = decimal.Decimal
UTC = dt.timezone.utc

# Five records (one blank line, not counted): o1 twice (the 09:30 one is older and is dropped),
# a bad fx_rate on line 5 (1 bad of 5 = 20%, exactly what max_bad_record_ratio 0.2 allows).
GOOD = [
    {"order_id": "o1", "customer_id": "c1", "customer_email": "a@example.com", "status": "placed",
     "order_ts": "2024-05-01T09:00:00Z", "order_total": 10.505, "currency": "EUR", "fx_rate": 1.1,
     "updated_at": "2024-05-01T10:00:00Z", "not_in_the_contract": "ignored"},
    {"order_id": "o2", "customer_id": "c2", "status": "paid", "order_ts": "2024-05-01 11:00:00",
     "order_total": "20", "currency": "USD", "fx_rate": 1, "updated_at": "2024-05-01T11:00:00Z"},
    {"order_id": "o1", "customer_id": "c1", "status": "placed", "order_ts": "2024-05-01T09:00:00Z",
     "order_total": 9.00, "currency": "EUR", "fx_rate": 1.1, "updated_at": "2024-05-01T09:30:00Z"},
    "",
    '{"order_id":"o3","customer_id":"c3","status":"paid","order_ts":"2024-05-02T08:00:00Z","order_total":5,'
    '"currency":"GBP","fx_rate":"abc","updated_at":"2024-05-02T08:00:00Z"}',
    {"order_id": "o4", "customer_id": "c4", "status": "cancelled", "order_ts": "2024-05-02T14:00:00+02:00",
     "order_total": 7.25, "currency": "GBP", "fx_rate": 1.25, "updated_at": "2024-05-02T12:00:00Z"},
]
JUNK = ["not json", {"order_id": "o1"}, "[1, 2]", GOOD[1]]
# Fails the quality gate: a currency outside the set (fail), a status outside it (warn), no order_id (fail).
GATE = [
    {"order_id": "o7", "customer_id": "c7", "status": "lost", "order_ts": "2024-05-06T12:00:00Z",
     "order_total": 3, "currency": "JPY", "fx_rate": 0.01, "updated_at": "2024-05-06T12:00:00Z"},
    {"customer_id": "c8", "status": "placed", "order_ts": "2024-05-06T12:00:00Z", "order_total": 3,
     "currency": "USD", "fx_rate": 1, "updated_at": "2024-05-06T12:00:00Z"},
    {"order_id": "o9", "customer_id": "c9", "status": "placed", "order_ts": "2024-05-06T13:00:00Z",
     "order_total": 4, "currency": "USD", "fx_rate": 1, "updated_at": "2024-05-06T13:00:00.1234567Z"},
]


def stage_args(load, source, attempt_dir="attempt-1"):
    run = f"sv/runs/{load}/{attempt_dir}"
    return [
        "--phase", "stage", "--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", load,
        "--result", S.uri(f"{run}/stage.json"), "--input", source,
        "--staging", S.uri(f"{run}/staging/"), "--quarantine", S.uri(f"sv/quarantine/orders/{load}/"),
    ]


def validate_args(load, contract=None):
    run = f"sv/runs/{load}/attempt-1"
    return [
        "--dataset", "orders", "--contract", contract or S.contract_uri("orders"), "--load-id", load,
        "--attempt", "1", "--result", S.uri(f"{run}/validate.json"), "--staging", S.uri(f"{run}/staging/"),
    ]


def failed(result):
    return {
        r["expectation_config"]["meta"]["lakeplane"]["index"]: r
        for r in result["results"] if not r["success"]
    }


class StageValidateQuarantine(S.Steps):
    @classmethod
    def setUpClass(cls):
        cls.good = S.write_ndjson("sv/bronze/orders/2024/05/01/orders-0001.ndjson", GOOD)
        cls.junk = S.write_ndjson("sv/bronze/orders/2024/05/01/orders-junk.ndjson", JUNK)
        cls.gate = S.write_ndjson("sv/bronze/orders/2024/05/06/orders-gate.ndjson", GATE)

    def test_01_stage_types_checks_dedupes_and_quarantines_bad_lines(self):
        code, result, printed = S.run_step("bronze_to_silver.py", *stage_args("L1", self.good))
        self.assertEqual(code, 0, result)
        self.assertEqual(
            result,
            {"phase": "stage", "loadId": "L1", "dataset": "orders", "rowsIn": 5, "rowsQuarantined": 1,
             "rowsStaged": 3, "duplicatesDropped": 1, "objectsRejected": 0},
        )
        self.assertEqual(json.loads(printed), result)

        staged = S.session().read.parquet(S.uri("sv/runs/L1/attempt-1/staging/"))
        self.assertEqual(
            [(f.name, f.dataType.simpleString(), f.nullable) for f in staged.schema.fields],
            [("order_id", "string", True), ("customer_id", "string", True), ("customer_email", "string", True),
             ("status", "string", True), ("order_ts", "timestamp", True), ("order_date", "date", True),
             ("order_total", "decimal(12,2)", True), ("currency", "string", True), ("fx_rate", "double", True),
             ("order_total_usd", "decimal(14,2)", True), ("updated_at", "timestamp", True)],
        )
        rows = {r["order_id"]: r.asDict() for r in staged.collect()}
        self.assertEqual(sorted(rows), ["o1", "o2", "o4"])
        o1, o2, o4 = rows["o1"], rows["o2"], rows["o4"]
        # The newer o1 (10:00) won; 10.505 rounded half-up to the scale; silver.sql's columns.
        self.assertEqual((o1["updated_at"], o1["order_total"], o1["order_total_usd"]),
                         (dt.datetime(2024, 5, 1, 10, 0), D("10.51"), D("11.56")))
        self.assertEqual(o1["customer_email"], "a@example.com")
        self.assertEqual((o1["order_date"], o1["order_ts"]), (dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 9, 0)))
        # No offset means UTC; +02:00 is converted (the driver's python and the session run in UTC).
        self.assertEqual(o2["order_ts"], dt.datetime(2024, 5, 1, 11, 0))
        self.assertIsNone(o2["customer_email"])
        self.assertEqual((o4["order_ts"], o4["order_date"]), (dt.datetime(2024, 5, 2, 12, 0), dt.date(2024, 5, 2)))

        bad = S.session().read.json(S.uri("sv/quarantine/orders/L1/")).collect()
        self.assertEqual([r.asDict() for r in bad], [{
            "dataset": "orders", "lineNumber": 5, "loadId": "L1", "rawLine": GOOD[4],
            "reason": 'field fx_rate: "abc" is not a double', "source": self.good,
        }])

    def test_02_too_many_bad_records_fail_the_step_and_write_nothing(self):
        code, result, _ = S.run_step("bronze_to_silver.py", *stage_args("J1", self.junk))
        self.assertEqual(code, 1)
        self.assertEqual(
            result["error"],
            f"orders: 3 of 4 records (75.0%) in {self.junk} are bad, more than bronze.max_bad_record_ratio 0.2 "
            "allows; the file was not staged. First bad line 1: not valid JSON: Expecting value: line 1 column 1 (char 0)",
        )
        self.assertFalse(os.path.exists(S.path("sv/runs/J1/attempt-1/staging")))
        self.assertFalse(os.path.exists(S.path("sv/quarantine/orders/J1")))

    def test_03_validate_a_good_batch(self):
        code, result, _ = S.run_step("validate_batch.py", *validate_args("L1"))
        self.assertEqual(code, 0)
        self.assertTrue(result["success"], failed(result))
        self.assertEqual(result["suite_name"], "orders")
        self.assertEqual(result["statistics"]["evaluated_expectations"], 9)
        self.assertEqual(sorted(r["expectation_config"]["meta"]["lakeplane"]["index"] for r in result["results"]),
                         list(range(9)))
        first = next(r for r in result["results"] if r["expectation_config"]["meta"]["lakeplane"]["index"] == 0)
        self.assertEqual(first["expectation_config"]["type"], "expect_column_values_to_not_be_null")
        self.assertEqual(first["expectation_config"]["kwargs"], {"batch_id": "lakeplane_staging-orders", "column": "order_id"})
        self.assertEqual(first["result"]["element_count"], 3)
        self.assertEqual(result["meta"]["great_expectations_version"], "1.8.1")
        self.assertEqual(result["meta"]["run_id"]["run_name"], "L1-attempt-1")
        lp = result["meta"]["lakeplane"]
        self.assertEqual((lp["phase"], lp["loadId"], lp["dataset"], lp["attempt"]), ("validate", "L1", "orders", 1))

    def test_04_more_expectations_freshness_types_row_count(self):
        doc = S.fixture_document("orders")
        doc["expectations"] = [
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "updated_at", "max_age_seconds": 20 * 365 * 86400}, "severity": "fail"},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "updated_at", "max_age_seconds": 60}, "severity": "warn"},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "order_date", "max_age_seconds": 20 * 365 * 86400}, "severity": "fail"},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 2}, "severity": "warn"},
            {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "order_id", "type_": "VARCHAR"}, "severity": "fail"},
            {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "fx_rate", "type_": "BIGINT"}, "severity": "warn"},
            {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["order_id", "customer_id"]}, "severity": "fail"},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "order_total", "min_value": 0, "max_value": 15, "mostly": 0.6}, "severity": "fail"},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "order_total", "min_value": 7.25, "strict_min": True}, "severity": "warn"},
            {"type": "expect_column_to_exist", "kwargs": {"column": "no_such_column"}, "severity": "warn"},
        ]
        contract = S.write_text("sv/contracts/orders-more.json", json.dumps(doc))
        code, result, _ = S.run_step("validate_batch.py", *validate_args("L1", contract))
        self.assertEqual(code, 0)
        self.assertFalse(result["success"])
        self.assertEqual(sorted(failed(result)), [1, 3, 5, 8, 9])
        by_index = {r["expectation_config"]["meta"]["lakeplane"]["index"]: r for r in result["results"]}
        fresh = by_index[0]["expectation_config"]["kwargs"]["min_value"]
        self.assertRegex(fresh, r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\Z")  # a naive UTC datetime, as text
        self.assertRegex(by_index[2]["expectation_config"]["kwargs"]["min_value"], r"\A\d{4}-\d\d-\d\d\Z")
        self.assertEqual(by_index[3]["result"]["observed_value"], 3)
        self.assertEqual(by_index[5]["result"]["observed_value"], "DoubleType")
        self.assertEqual(by_index[7]["result"]["unexpected_count"], 1)  # 20 is out, 2 of 3 in >= mostly
        self.assertEqual(by_index[8]["result"]["partial_unexpected_list"], [7.25])  # strict_min

    def test_05_a_batch_that_fails_the_gate(self):
        code, result, _ = S.run_step("bronze_to_silver.py", *stage_args("B1", self.gate))
        self.assertEqual(code, 0)
        # The record without order_id is staged (not deduped, not quarantined) for the gate.
        self.assertEqual((result["rowsIn"], result["rowsQuarantined"], result["rowsStaged"]), (3, 0, 3))
        code, result, _ = S.run_step("validate_batch.py", *validate_args("B1"))
        self.assertEqual(code, 0)  # a failed suite is not a failed step
        self.assertFalse(result["success"])
        bad = failed(result)
        self.assertEqual(sorted(bad), [0, 3, 4])
        self.assertEqual(
            [(bad[i]["expectation_config"]["meta"]["lakeplane"]["severity"], bad[i]["result"]["partial_unexpected_list"])
             for i in (0, 3, 4)],
            [("fail", [None]), ("fail", ["JPY"]), ("warn", ["lost"])],
        )
        self.assertEqual(bad[0]["result"]["unexpected_count"], 1)
        self.assertEqual(result["statistics"]["unsuccessful_expectations"], 3)

    def test_06_upsert_refuses_staged_rows_without_a_record_key(self):
        run = "sv/runs/B1/attempt-1"
        code, result, _ = S.run_step(
            "bronze_to_silver.py", "--phase", "upsert", "--dataset", "orders", "--contract", S.contract_uri("orders"),
            "--load-id", "B1", "--result", S.uri(f"{run}/upsert.json"), "--staging", S.uri(f"{run}/staging/"),
            "--silver-path", S.uri("sv/silver/orders/"), "--database", "sv_silver",
        )
        self.assertEqual(code, 1)
        self.assertEqual(
            result["error"],
            "orders: 1 staged record has no record key (a null order_id); the quality gate must stop such a batch "
            "before the upsert, and nothing was written to Silver",
        )
        self.assertFalse(os.path.exists(S.path("sv/silver/orders")))

    def quarantine(self, attempt="1"):
        run = "sv/runs/B1/attempt-1"
        return S.run_step(
            "bronze_to_silver.py", "--phase", "quarantine", "--dataset", "orders", "--contract", S.contract_uri("orders"),
            "--load-id", "B1", "--attempt", attempt, "--result", S.uri(f"{run}/quarantine-{attempt}.json"),
            "--staging", S.uri(f"{run}/staging/"), "--quarantine", S.uri(f"sv/quarantine/orders/B1/attempt-{attempt}/"),
        )

    def test_07_quarantine_moves_the_batch_and_deletes_staging(self):
        location = S.uri("sv/quarantine/orders/B1/attempt-1/staged-batch/")
        code, result, _ = self.quarantine()
        self.assertEqual(code, 0, result)
        self.assertEqual(result, {"phase": "quarantine", "loadId": "B1", "dataset": "orders", "rows": 3, "location": location})
        self.assertFalse(os.path.exists(S.path("sv/runs/B1/attempt-1/staging")))
        where = S.path("sv/quarantine/orders/B1/attempt-1/staged-batch")
        parts = sorted(glob.glob(os.path.join(where, "part-*.json.gz")))
        self.assertTrue(parts)
        objects = []
        for p in parts:
            with gzip.open(p, "rt", encoding="utf-8") as f:
                objects += [json.loads(line) for line in f if line.strip()]
        self.assertEqual(len(objects), 3)
        keyless = next(o for o in objects if o["order_id"] is None)
        self.assertIn("customer_email", keyless)  # nulls written, not left out
        o9 = next(o for o in objects if o["order_id"] == "o9")
        self.assertEqual((o9["updated_at"], o9["order_date"], o9["order_total"]),
                         ("2024-05-06T13:00:00.123456Z", "2024-05-06", 4.0))
        with open(os.path.join(where, "_lakeplane.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        self.assertEqual((manifest["rows"], manifest["loadId"], manifest["attempt"], manifest["location"]), (3, "B1", 1, location))
        back = S.session().read.schema(manifest["schema"]).json(location)
        self.assertEqual(back.count(), 3)
        self.assertEqual(dict((f.name, f.dataType.simpleString()) for f in back.schema.fields)["order_total"], "decimal(12,2)")

    def test_08_quarantine_retry_reads_the_manifest(self):
        code, result, _ = self.quarantine()
        self.assertEqual((code, result["rows"]), (0, 3))

    def test_09_quarantine_without_a_batch_fails(self):
        code, result, _ = self.quarantine(attempt="2")
        self.assertEqual(code, 1)
        self.assertIn("orders: no staged batch at", result["error"])
        self.assertIn("nothing was quarantined", result["error"])


if __name__ == "__main__":
    unittest.main()
