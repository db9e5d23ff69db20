"""query_table.py: one read-only SELECT over a Silver table as of a commit (pure part, args, fakes)."""

import datetime
import decimal
import unittest
from unittest import mock

from lakeplane_jobs import query_job
from lakeplane_jobs.cli import QueryArgs, job_argv, parse_query_table
from lakeplane_jobs.emr import step_args
from lakeplane_jobs.errors import JobArgumentError, JobFailure
from lakeplane_jobs.query import (
    as_of_sql,
    check_read_only,
    check_view_name,
    code_only,
    json_value,
    plan_query,
    resolve_instant,
)
from lakeplane_jobs.rollback import show_commits_sql

from .helpers import fixture_contract

I = "20261120100500123"
T = "lake_silver.orders"
ARGV = [
    "--dataset", "orders",
    "--contract", "s3://art/contracts/orders.json",
    "--load-id", "q-orders-1",
    "--attempt", "1",
    "--result", "s3://art/runs/q-orders-1/attempt-1/query.json",
    "--database", "lake_silver",
    "--gold-database", "lake_gold",
    "--as-of", I,
    "--sql", "SELECT status, count(*) AS n FROM silver.orders GROUP BY status",
    "--limit", "2",
]


class ReadOnly(unittest.TestCase):
    def test_one_select_only(self):
        self.assertEqual(check_read_only("SELECT 1;  "), "SELECT 1")
        self.assertEqual(check_read_only("  with x AS (SELECT 1) SELECT * FROM x"), "  with x AS (SELECT 1) SELECT * FROM x")
        # Semicolons and keywords inside literals and comments are data, not statements.
        self.assertEqual(check_read_only("SELECT ';DROP' -- ; drop\n"), "SELECT ';DROP'")
        for sql, why in (
            ("DROP TABLE silver.orders", "not DROP"),
            ("SELECT 1; DROP TABLE x", "one statement"),
            ("INSERT INTO silver.orders SELECT 1", "not INSERT"),
            ("/* SELECT */ DELETE FROM x", "not DELETE"),
            ("  ", "not empty"),
        ):
            with self.subTest(sql=sql), self.assertRaisesRegex(JobFailure, why):
                check_read_only(sql)
        self.assertEqual(len(code_only("a 'b' `c` -- d\n/* e */f")), len("a 'b' `c` -- d\n/* e */f"))

    def test_the_dataset_reads_the_view_at_the_instant_other_tables_now(self):
        plan = plan_query(
            "SELECT o.*, d.rows FROM silver.orders o JOIN gold.daily d ON true WHERE o.note <> 'silver.orders'",
            "orders", T, I, "lake_silver", "lake_gold",
        )
        self.assertEqual(plan.view, "lakeplane_as_of_orders")
        self.assertEqual(plan.as_of, f"SELECT * FROM {T} TIMESTAMP AS OF '{I}'")
        self.assertEqual(
            plan.select,
            "SELECT o.*, d.rows FROM lakeplane_as_of_orders o JOIN lake_gold.daily d ON true WHERE o.note <> 'silver.orders'",
        )
        with self.assertRaisesRegex(JobFailure, "does not read silver.orders"):
            plan_query("SELECT * FROM silver.order_items", "orders", T, I, "lake_silver", "lake_gold")
        for bad in ((T, "yesterday"), ("x'y", I)):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                as_of_sql(*bad)
        with self.assertRaises(ValueError):
            check_view_name("v; drop")

    def test_values_as_json(self):
        self.assertEqual(
            json_value({"t": datetime.datetime(2026, 11, 20, 10, 5), "d": decimal.Decimal("1.10"), "b": b"\x00",
                        "l": [datetime.date(2026, 1, 2)]}),
            {"t": "2026-11-20T10:05:00", "d": "1.10", "b": "AA==", "l": ["2026-01-02"]},
        )


class Args(unittest.TestCase):
    def test_parse_and_back(self):
        args = parse_query_table(ARGV)
        self.assertEqual((args.as_of, args.limit, args.gold_database), (I, 2, "lake_gold"))
        self.assertEqual(job_argv(args), ARGV)
        self.assertIsInstance(args, QueryArgs)
        self.assertEqual(step_args("art", args)[5], "s3://art/spark-jobs/query_table.py")
        with self.assertRaisesRegex(JobArgumentError, "not a Hudi instant"):
            parse_query_table([a if a != I else "2026-11-20" for a in ARGV])


class Resolve(unittest.TestCase):
    def test_the_newest_active_commit_at_or_before_the_instant(self):
        active = ["20250101000000000", "20250103000000000"]
        self.assertEqual(resolve_instant("20250101000000000", active), "20250101000000000")
        # A commit a rollback removed, or a time between commits: the commit before it.
        self.assertEqual(resolve_instant("20250102000000000", active), "20250101000000000")
        self.assertEqual(resolve_instant("20250109000000000", active), "20250103000000000")
        # Before every active commit (archived): as asked.
        self.assertEqual(resolve_instant("20241231000000000", active), "20241231000000000")
        self.assertEqual(resolve_instant("20250102000000000", []), "20250102000000000")


class Row(dict):
    def asDict(self, recursive=False):  # noqa: N802 (pyspark's name)
        return dict(self)


class Job(unittest.TestCase):
    def test_registers_the_view_then_runs_the_select_and_caps_the_rows(self):
        statements = []
        df = mock.Mock(columns=["status", "n"])
        df.limit.return_value.collect.return_value = [Row(status="NEW", n=3), Row(status="PAID", n=2), Row(status="X", n=1)]

        def sql(text):
            statements.append(text)
            if text.startswith("CALL show_commits"):
                return mock.Mock(collect=lambda: [Row(commit_time=I)])
            return df

        result = query_job.run_query(mock.Mock(sql=sql), parse_query_table(ARGV), fixture_contract("orders"))
        self.assertEqual(statements[0], show_commits_sql(T))
        self.assertEqual(statements[1], as_of_sql(T, I))
        df.createOrReplaceTempView.assert_called_once_with("lakeplane_as_of_orders")
        self.assertEqual(statements[2], "SELECT status, count(*) AS n FROM lakeplane_as_of_orders GROUP BY status")
        df.limit.assert_called_once_with(3)
        self.assertEqual(result, {
            "phase": "query", "loadId": "q-orders-1", "dataset": "orders", "asOf": I, "columns": ["status", "n"],
            "rows": [{"status": "NEW", "n": 3}, {"status": "PAID", "n": 2}], "truncated": True,
        })


if __name__ == "__main__":
    unittest.main()
