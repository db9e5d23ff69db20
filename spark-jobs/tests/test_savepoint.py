"""savepoint_table.py: the window of savepoints, the upsert result it reads, arguments, the Spark side on fakes."""

import json
import unittest
from unittest import mock

from lakeplane_jobs import savepoint_job, spark_io
from lakeplane_jobs.cli import SavepointArgs, job_argv, parse_savepoint_table
from lakeplane_jobs.emr import step_args
from lakeplane_jobs.errors import JobArgumentError, JobFailure
from lakeplane_jobs.savepoint import (
    commit_of_upsert_result,
    delete_savepoint_sql,
    plan_savepoints,
    savepoint_result,
)

from .helpers import fixture_contract

T = "lake_silver.orders"
C = [f"2025010{d}000000000" for d in range(1, 10)]
UPSERT_URI = "s3://art/runs/orders-0a1b2c/attempt-1/upsert.json"
ARGV = [
    "--dataset", "orders",
    "--contract", "s3://art/contracts/orders.json",
    "--load-id", "orders-0a1b2c",
    "--attempt", "1",
    "--result", "s3://art/runs/orders-0a1b2c/attempt-1/savepoint.json",
    "--upsert-result", UPSERT_URI,
    "--database", "lake_silver",
    "--keep", "3",
]


class Window(unittest.TestCase):
    def test_new_commit_enters_and_the_oldest_leave(self):
        plan = plan_savepoints(C[:3], C[3], keep=3)
        self.assertEqual((plan.create, plan.delete), (True, (C[0],)))
        plan = plan_savepoints(C[:5], C[5], keep=2)
        self.assertEqual((plan.create, plan.delete), (True, (C[0], C[1], C[2], C[3])))

    def test_a_retried_step_creates_nothing_twice(self):
        plan = plan_savepoints(C[:3], C[2], keep=3)
        self.assertEqual((plan.create, plan.delete), (False, ()))

    def test_a_commit_older_than_a_full_window_gets_none(self):
        plan = plan_savepoints(C[3:6], C[1], keep=3)
        self.assertEqual((plan.create, plan.delete), (False, ()))

    def test_bad_input(self):
        for keep in (0, -1, True, "3"):
            with self.subTest(keep=keep), self.assertRaises(ValueError):
                plan_savepoints([], C[0], keep=keep)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            plan_savepoints(["x"], C[0])
        self.assertEqual(delete_savepoint_sql(T, C[0]), f"CALL delete_savepoint(table => '{T}', instant_time => '{C[0]}')")

    def test_upsert_result(self):
        ok = json.dumps({"phase": "upsert", "loadId": "L", "commitId": C[0]})
        self.assertEqual(commit_of_upsert_result(ok, UPSERT_URI, "L"), C[0])
        for text, why in (
            ("{", "is not the JSON result"),
            (json.dumps({"phase": "stage", "loadId": "L"}), "phase 'stage'"),
            (json.dumps({"phase": "upsert", "loadId": "M", "commitId": C[0]}), "of load 'M', not L"),
            (json.dumps({"phase": "upsert", "loadId": "L"}), "names no commitId"),
            (json.dumps({"phase": "upsert", "loadId": "L", "commitId": "soon"}), "not a Hudi commit instant"),
        ):
            with self.subTest(why=why), self.assertRaisesRegex(JobFailure, why):
                commit_of_upsert_result(text, UPSERT_URI, "L")


class Args(unittest.TestCase):
    def test_parse_and_back(self):
        args = parse_savepoint_table(ARGV)
        self.assertEqual(args, SavepointArgs("orders", "s3://art/contracts/orders.json", "orders-0a1b2c", 1,
                                             "s3://art/runs/orders-0a1b2c/attempt-1/savepoint.json", UPSERT_URI,
                                             "lake_silver", 3))
        self.assertEqual(job_argv(args), ARGV)
        self.assertEqual(step_args("art", args)[5], "s3://art/spark-jobs/savepoint_table.py")
        with self.assertRaisesRegex(JobArgumentError, "not a positive count"):
            parse_savepoint_table(ARGV[:-1] + ["0"])


class FakeSpark:
    def __init__(self, savepoints, answer=True):
        self.savepoints, self.answer, self.statements = savepoints, answer, []

    def sql(self, text):
        self.statements.append(text)
        rows = [{"savepoint_time": s} for s in self.savepoints] if "show_savepoints" in text else [(self.answer,)]
        return mock.Mock(collect=lambda: rows)


class Job(unittest.TestCase):
    def run_job(self, spark, commit=C[3], argv=ARGV):
        text = json.dumps({"phase": "upsert", "loadId": "orders-0a1b2c", "commitId": commit})
        with mock.patch.object(spark_io, "hudi_table_version", lambda s: 8), \
                mock.patch.object(spark_io, "read_text", lambda s, uri: text if uri == UPSERT_URI else self.fail(uri)):
            return savepoint_job.run_savepoint(spark, parse_savepoint_table(argv), fixture_contract("orders"))

    def test_savepoints_the_commit_and_trims_the_window(self):
        spark = FakeSpark(C[:3])
        result = self.run_job(spark)
        self.assertEqual(spark.statements[1:], [
            f"CALL create_savepoint(table => '{T}', commit_time => '{C[3]}')",
            f"CALL delete_savepoint(table => '{T}', instant_time => '{C[0]}')",
        ])
        self.assertEqual(result, savepoint_result("orders-0a1b2c", "orders", plan_savepoints(C[:3], C[3], 3), 3))
        self.assertEqual((result["created"], result["deleted"], result["keep"]), (True, [C[0]], 3))

    def test_refusals_fail_the_step(self):
        with self.assertRaisesRegex(JobFailure, "create_savepoint of commit .* returned false"):
            self.run_job(FakeSpark([], answer=False))


if __name__ == "__main__":
    unittest.main()
