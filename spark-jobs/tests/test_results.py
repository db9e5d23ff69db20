import json
import os
import re
import unittest

from lakeplane_jobs.results import error_result, gold_result, quarantine_result, stage_result, to_json, upsert_result

from .helpers import REPO


class Shapes(unittest.TestCase):
    def test_stage(self):
        self.assertEqual(
            stage_result("orders-1", "orders", 10, 1, 8, 1),
            {
                "phase": "stage",
                "loadId": "orders-1",
                "dataset": "orders",
                "rowsIn": 10,
                "rowsQuarantined": 1,
                "rowsStaged": 8,
                "duplicatesDropped": 1,
                "objectsRejected": 0,
            },
        )
        several = stage_result("orders-1", "orders", 10, 6, 4, 0, 1, [(3, 3), (7, 3)])
        self.assertEqual(several["objectsRejected"], 1)
        self.assertEqual(several["objects"], [{"rowsIn": 3, "rowsQuarantined": 3}, {"rowsIn": 7, "rowsQuarantined": 3}])

    def test_upsert(self):
        self.assertEqual(
            upsert_result("oi-1", "order_items", "20250102030405678", {"inserted": 5, "updated": 2, "deleted": 1}),
            {
                "phase": "upsert",
                "loadId": "oi-1",
                "dataset": "order_items",
                "commitId": "20250102030405678",
                "inserted": 5,
                "updated": 2,
                "deleted": 1,
            },
        )
        self.assertEqual(upsert_result("l", "d", "", {})["commitId"], "")

    def test_gold(self):
        self.assertEqual(
            gold_result("orders-1", "orders", [("daily_revenue", 31)]),
            {"phase": "gold", "loadId": "orders-1", "dataset": "orders", "tables": [{"name": "daily_revenue", "rows": 31}]},
        )
        self.assertEqual(gold_result("l", "d", [])["tables"], [])

    def test_quarantine(self):
        self.assertEqual(
            quarantine_result("orders-1", "orders", 8, "s3://q/orders/orders-1/attempt-2/staged-batch/"),
            {
                "phase": "quarantine",
                "loadId": "orders-1",
                "dataset": "orders",
                "rows": 8,
                "location": "s3://q/orders/orders-1/attempt-2/staged-batch/",
            },
        )
        self.assertEqual(quarantine_result("l", "d", 0, "s3://q/")["rows"], 0)
        for bad in (-1, 1.5, True, None):
            with self.assertRaises(ValueError):
                quarantine_result("l", "d", bad, "s3://q/")

    def test_error(self):
        self.assertEqual(
            error_result("stage", "orders-1", "orders", "too many bad records"),
            {"phase": "stage", "loadId": "orders-1", "dataset": "orders", "error": "too many bad records"},
        )

    def test_counts_must_be_non_negative_integers(self):
        for bad in (-1, 1.5, True, None):
            with self.assertRaises(ValueError):
                stage_result("l", "d", bad, 0, 0, 0)

    def test_to_json(self):
        text = to_json(stage_result("l", "d", 1, 0, 1, 0))
        self.assertTrue(text.endswith("\n"))
        self.assertEqual(json.loads(text)["rowsIn"], 1)
        self.assertNotIn(" ", text.strip())


class MatchesTypeScriptSchemas(unittest.TestCase):
    """The fields of shared/core/run-results.ts (the control plane's reader), when that file exists."""

    def test_field_names(self):
        path = os.path.join(REPO, "shared", "core", "run-results.ts")
        if not os.path.exists(path):
            self.skipTest("shared/core/run-results.ts is not in this tree")
        with open(path, encoding="utf-8") as f:
            ts = f.read()
        samples = {
            # A load of several objects: the one whose result has every field.
            "stageResult": stage_result("l", "d", 0, 0, 0, 0, 0, [(0, 0), (0, 0)]),
            "upsertResult": upsert_result("l", "d", "1", {}),
            "goldResult": gold_result("l", "d", []),
        }
        for name, sample in samples.items():
            m = re.search(r"export const %s = z\.object\(\{(.*?)\n\}\);" % name, ts, re.S)
            if m is None:
                self.skipTest(f"{name} is not declared the expected way")
            fields = re.findall(r"^  (\w+):", m.group(1), re.M)
            self.assertEqual(sorted(fields), sorted(sample), name)

    def test_quarantine_field_names_when_declared(self):
        path = os.path.join(REPO, "shared", "core", "run-results.ts")
        if not os.path.exists(path):
            self.skipTest("shared/core/run-results.ts is not in this tree")
        with open(path, encoding="utf-8") as f:
            ts = f.read()
        m = re.search(r"export const quarantineResult = z\.object\(\{(.*?)\n\}\);", ts, re.S)
        if m is None:
            self.skipTest("run-results.ts declares no quarantineResult (the control plane does not read it)")
        fields = re.findall(r"^  (\w+):", m.group(1), re.M)
        self.assertEqual(sorted(fields), sorted(quarantine_result("l", "d", 0, "s3://q/")))


if __name__ == "__main__":
    unittest.main()
