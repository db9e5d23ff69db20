"""rollback_table.py: the procedure SQL, validation, the choice of procedure, the arguments, and
the Spark side on fakes (spark.sql answers and an in-memory timeline)."""

import unittest
from unittest import mock

from lakeplane_jobs import rollback_job, spark_io
from lakeplane_jobs.cli import RollbackArgs, job_argv, parse_rollback_table
from lakeplane_jobs.emr import step_args
from lakeplane_jobs.errors import JobArgumentError, JobFailure
from lakeplane_jobs.rollback import (
    change_counts_sql,
    check_instant,
    plan_rollback,
    procedure_succeeded,
    rollback_result,
    rollback_to_instant_sql,
    rollback_to_savepoint_sql,
    savepoint_sql,
    show_commits_sql,
    show_savepoints_sql,
    table_identifier,
)

from .helpers import fixture_contract

T = "lake_silver.orders"
C1, C2, C3, C4 = "20250101000000001", "20250102000000002", "20250103000000003", "20250104000000004"
ROLLBACK = [
    "--dataset", "orders",
    "--contract", "s3://art/contracts/orders.json",
    "--load-id", "rb-0a1b2c",
    "--attempt", "1",
    "--result", "s3://art/runs/rb-0a1b2c/attempt-1/rollback.json",
    "--silver-path", "s3://silver/orders/",
    "--database", "lake_silver",
]


class Sql(unittest.TestCase):
    def test_change_counts_reads_the_table_as_of_the_target(self):
        sql = change_counts_sql(T, C1)
        self.assertIn(f"FROM {T}) c FULL OUTER JOIN", sql)
        self.assertIn(f"FROM {T} TIMESTAMP AS OF '{C1}') t ON c.k = t.k AND c.p = t.p", sql)
        self.assertIn("count_if(c.k IS NOT NULL AND t.k IS NOT NULL AND c.v <> t.v) AS reverted", sql)
        for bad in (("lake_silver.orders'--", C1), (T, "1; drop")):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                change_counts_sql(*bad)

    def test_procedures(self):
        self.assertEqual(show_commits_sql(T), "CALL show_commits(table => 'lake_silver.orders', limit => 100000)")
        self.assertEqual(show_savepoints_sql(T), "CALL show_savepoints(table => 'lake_silver.orders', limit => 100000)")
        self.assertEqual(
            savepoint_sql(T, C1), f"CALL create_savepoint(table => 'lake_silver.orders', commit_time => '{C1}')"
        )
        self.assertEqual(
            rollback_to_savepoint_sql(T, C1),
            f"CALL rollback_to_savepoint(table => 'lake_silver.orders', instant_time => '{C1}')",
        )
        self.assertEqual(
            rollback_to_instant_sql(T, C2),
            f"CALL rollback_to_instant(table => 'lake_silver.orders', instant_time => '{C2}')",
        )

    def test_identifiers(self):
        self.assertEqual(table_identifier("lake_silver", "orders"), "lake_silver.orders")
        self.assertEqual(table_identifier("lake-silver", "orders"), "`lake-silver`.orders")
        self.assertIn("`lake-silver`.orders", savepoint_sql(table_identifier("lake-silver", "orders"), C1))
        for db, t in (("a'b", "orders"), ("lake", "x; drop"), ("", "orders"), ("lake", "a.b")):
            with self.subTest(db=db, t=t), self.assertRaises(ValueError):
                table_identifier(db, t)
        for bad in ("orders", "x.y'", "a.b.c", "`a'`.b"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                savepoint_sql(bad, C1)

    def test_instants(self):
        self.assertEqual(check_instant("20250102030405"), "20250102030405")
        self.assertEqual(check_instant(C1), C1)
        for bad in ("2025010203040", "202501020304056789", "2025-01-02", "", "20250102030405' OR 1"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                savepoint_sql(T, bad)
        with self.assertRaises(ValueError):
            show_commits_sql(T, 0)


class Choice(unittest.TestCase):
    def test_savepoint_at_the_target_is_restored(self):
        plan = plan_rollback(T, [C3, C1, C2], [C1], to_instant=C1)
        self.assertEqual((plan.procedure, plan.savepoint, plan.commits_rolled_back), ("rollback_to_savepoint", C1, (C2, C3)))
        self.assertEqual(plan.sql, rollback_to_savepoint_sql(T, C1))

    def test_an_earlier_savepoint_is_not_restored_silently(self):
        # Restoring C1 would also undo C2; the one commit after C2 goes with rollback_to_instant.
        plan = plan_rollback(T, [C1, C2, C3], [C1], to_instant=C2)
        self.assertEqual((plan.procedure, plan.savepoint, plan.commits_rolled_back), ("rollback_to_instant", None, (C3,)))

    def test_only_the_latest_commit_goes_with_rollback_to_instant(self):
        plan = plan_rollback(T, [C1, C2, C3], [], to_instant=C2)
        self.assertEqual((plan.procedure, plan.savepoint, plan.commits_rolled_back), ("rollback_to_instant", None, (C3,)))
        self.assertEqual(plan.sql, rollback_to_instant_sql(T, C3))

    def test_several_commits_without_a_savepoint_are_refused(self):
        with self.assertRaises(JobFailure) as cm:
            plan_rollback(T, [C1, C2, C3, C4], [C1], to_instant=C2)
        msg = str(cm.exception)
        self.assertIn("2 commits are after it", msg)
        self.assertIn("rollback_to_instant rolls back only the latest commit", msg)
        self.assertIn(f"the nearest savepoint before it is {C1}", msg)
        self.assertIn(f"pass --savepoint {C1}", msg)
        with self.assertRaises(JobFailure) as cm:
            plan_rollback(T, [C1, C2, C3, C4], [C4], to_instant=C2)
        self.assertIn(f"no savepoint at or before it (the nearest is {C4}", str(cm.exception))
        with self.assertRaises(JobFailure) as cm:
            plan_rollback(T, [C1, C2, C3, C4], [], to_instant=C1)
        self.assertIn("the table has no savepoints", str(cm.exception))

    def test_unknown_target(self):
        with self.assertRaises(JobFailure) as cm:
            plan_rollback(T, [C1, C2], [], to_instant=C3)
        self.assertIn("is not a completed commit", str(cm.exception))
        with self.assertRaises(JobFailure) as cm:
            plan_rollback(T, [C1, C2, C3], [C1], savepoint=C2)
        self.assertIn(f"{C2} is not a savepoint of the table; the nearest savepoint before it is {C1}", str(cm.exception))

    def test_explicit_savepoint_and_nothing_to_do(self):
        plan = plan_rollback(T, [C1, C2, C3], [C1], savepoint=C1)
        self.assertEqual((plan.to_instant, plan.procedure, plan.commits_rolled_back), (C1, "rollback_to_savepoint", (C2, C3)))
        noop = plan_rollback(T, [C1, C2], [], to_instant=C2)
        self.assertEqual((noop.procedure, noop.sql, noop.commits_rolled_back), (None, None, ()))

    def test_14_digit_instants_order_like_hudi(self):
        plan = plan_rollback(T, ["20250101000000", "20250101000000500"], [], to_instant="20250101000000500")
        self.assertEqual(plan.commits_rolled_back, ("20250101000000",))

    def test_result_and_procedure_answer(self):
        plan = plan_rollback(T, [C1, C2], [C1], to_instant=C1)
        self.assertEqual(
            rollback_result("rb-1", "orders", plan, True),
            {"phase": "rollback", "loadId": "rb-1", "dataset": "orders", "toInstant": C1, "savepoint": C1,
             "dryRun": True, "commitsRolledBack": [C2], "savepointsDeleted": []},
        )
        self.assertTrue(procedure_succeeded([(True,)]))
        for rows in ([(False,)], [], [(True,), (True,)], [()]):
            self.assertFalse(procedure_succeeded(rows))


class Args(unittest.TestCase):
    def test_parse_and_back(self):
        args = parse_rollback_table(ROLLBACK + ["--to-instant", C2, "--dry-run"])
        self.assertEqual(
            args,
            RollbackArgs("orders", "s3://art/contracts/orders.json", "rb-0a1b2c", 1,
                         "s3://art/runs/rb-0a1b2c/attempt-1/rollback.json", "s3://silver/orders/", "lake_silver",
                         C2, None, True),
        )
        self.assertEqual(parse_rollback_table(job_argv(args)), args)
        sp = parse_rollback_table(ROLLBACK + ["--savepoint", C1])
        self.assertEqual((sp.to_instant, sp.savepoint, sp.dry_run), (None, C1, False))
        self.assertEqual(parse_rollback_table(job_argv(sp)), sp)
        steps = step_args("art", sp)
        self.assertEqual(steps[5], "s3://art/spark-jobs/rollback_table.py")

    def test_errors(self):
        def error(argv):
            with self.assertRaises(JobArgumentError) as cm:
                parse_rollback_table(argv)
            return str(cm.exception)

        self.assertIn("one of the arguments --to-instant --savepoint is required", error(ROLLBACK))
        self.assertIn("not allowed with argument", error(ROLLBACK + ["--to-instant", C2, "--savepoint", C1]))
        self.assertIn("is not a Hudi instant", error(ROLLBACK + ["--to-instant", "2025-01-02"]))
        self.assertIn("--attempt", error([a for a in ROLLBACK if a not in ("--attempt", "1")] + ["--to-instant", C2]))


COUNTS = {"rows_before": 10, "rows_after": 8, "removed": 3, "restored": 1, "reverted": 2}


class FakeSpark:
    def __init__(self, commits, savepoints, answer=True, on_call=None):
        self.commits, self.savepoints, self.answer, self.on_call = commits, savepoints, answer, on_call
        self.statements = []

    def sql(self, text):
        self.statements.append(text)
        if text.startswith("CALL show_commits"):
            rows = [{"commit_time": c} for c in sorted(self.commits, reverse=True)]
        elif text.startswith("CALL show_savepoints"):
            rows = [{"savepoint_time": s} for s in self.savepoints]
        elif text.startswith("SELECT count("):
            rows = [dict(COUNTS)]
        elif text.startswith("CALL delete_savepoint") and self.answer:
            rows = [(True,)]
        else:
            if self.on_call:
                self.on_call(text)
            rows = [(self.answer,)]
        return mock.Mock(collect=lambda: rows)


class Job(unittest.TestCase):
    def run_job(self, spark, extra, timeline=None):
        args = parse_rollback_table(ROLLBACK + extra)
        names = timeline if timeline is not None else []
        with mock.patch.object(spark_io, "hudi_table_version", lambda s: 8), \
                mock.patch.object(spark_io, "list_names", lambda s, u, directories=None: names if u.endswith("/timeline") else []):
            return rollback_job.run_rollback(spark, args, fixture_contract("orders"))

    def test_restores_the_savepoint_and_checks_the_timeline(self):
        spark = FakeSpark([C1, C2, C3], [C1])
        result = self.run_job(spark, ["--to-instant", C1], timeline=[f"{C1}_{C1}.commit"])
        self.assertEqual(spark.statements[-1], rollback_to_savepoint_sql(T, C1))
        self.assertEqual(result["commitsRolledBack"], [C2, C3])
        self.assertFalse(result["dryRun"])

    def test_dry_run_changes_nothing(self):
        spark = FakeSpark([C1, C2, C3], [C2, C3], on_call=lambda t: self.fail(t))
        result = self.run_job(spark, ["--to-instant", C2, "--dry-run"])
        self.assertEqual(len(spark.statements), 3)
        self.assertEqual(spark.statements[2], change_counts_sql(T, C2))
        self.assertEqual((result["savepoint"], result["commitsRolledBack"], result["dryRun"]), (C2, [C3], True))
        self.assertEqual((result["rowsBefore"], result["rowsAfter"], result["removed"], result["restored"],
                          result["reverted"], result["savepointsDeleted"]), (10, 8, 3, 1, 2, []))

    def test_newer_savepoints_go_before_the_restore(self):
        # Every upsert commit has a savepoint: the ones after the target are deleted first (Hudi
        # refuses to roll back a savepointed commit; HUDI-3062 for restores past newer ones).
        spark = FakeSpark([C1, C2, C3, C4], [C1, C2, C3, C4])
        result = self.run_job(spark, ["--to-instant", C2], timeline=[f"{C2}_{C2}.commit"])
        self.assertEqual(spark.statements[3:], [
            f"CALL delete_savepoint(table => '{T}', instant_time => '{C3}')",
            f"CALL delete_savepoint(table => '{T}', instant_time => '{C4}')",
            rollback_to_savepoint_sql(T, C2),
        ])
        self.assertEqual((result["commitsRolledBack"], result["savepointsDeleted"], result["rowsAfter"]),
                         ([C3, C4], [C3, C4], 8))
        # The latest commit alone goes with rollback_to_instant, its savepoint deleted first.
        spark = FakeSpark([C1, C2], [C2])
        self.run_job(spark, ["--to-instant", C1])
        self.assertEqual(spark.statements[3:], [
            f"CALL delete_savepoint(table => '{T}', instant_time => '{C2}')", rollback_to_instant_sql(T, C2)])
        with self.assertRaisesRegex(JobFailure, f"delete_savepoint of {C2} .*did not run"):
            self.run_job(FakeSpark([C1, C2], [C2], answer=False), ["--to-instant", C1])

    def test_a_refusing_procedure_or_a_leftover_commit_fails(self):
        with self.assertRaisesRegex(JobFailure, "returned false"):
            self.run_job(FakeSpark([C1, C2], [], answer=False), ["--to-instant", C1])
        with self.assertRaisesRegex(JobFailure, "still on the timeline"):
            self.run_job(FakeSpark([C1, C2], []), ["--to-instant", C1], timeline=[f"{C2}_{C2}.commit"])

    def test_without_hudi(self):
        with mock.patch.object(spark_io, "hudi_table_version", lambda s: None), self.assertRaisesRegex(JobFailure, "Hudi is not"):
            rollback_job.run_rollback(FakeSpark([], []), parse_rollback_table(ROLLBACK + ["--to-instant", C1]),
                                      fixture_contract("orders"))


if __name__ == "__main__":
    unittest.main()
