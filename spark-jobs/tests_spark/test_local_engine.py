"""local_engine.py driven over its protocol, as the TypeScript side starts it (its own spark-submit JVM)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import unittest

from . import support as S

ENGINE = os.path.join(S.SPARK_JOBS, "local_engine.py")
ROWS = [
    {"order_id": f"e{i}", "customer_id": "c1", "status": "placed", "order_ts": "2024-05-01T09:00:00Z",
     "order_total": i, "currency": "EUR", "fx_rate": 1.1, "updated_at": "2024-05-01T10:00:00Z"}
    for i in range(1, 5)
] + ['{"order_id": "e5", "fx_rate": "x"}']  # 1 bad of 5: what max_bad_record_ratio 0.2 allows


def engine_command(tc, home):
    """The launch the TypeScript side uses (local_engine.py's docstring)."""
    return [
        tc["sparkSubmit"], "--master", "local[2]", "--driver-memory", "2g", "--jars", tc["hudiJar"],
        "--conf", "spark.ui.enabled=false", ENGINE, "--home", home,
    ]


class LocalEngine(unittest.TestCase):
    def test_one_session_many_steps_over_stdin_and_stdout(self):
        tc = S.toolchain()
        home = S.path("engine-home")
        source = S.write_ndjson("engine/bronze/orders.ndjson", ROWS)
        def stage(load, contract="orders"):
            return [
                "bronze_to_silver.py", "--phase", "stage", "--dataset", "orders", "--contract", S.contract_uri(contract),
                "--load-id", load, "--result", S.uri(f"engine/runs/{load}/stage.json"), "--input", source,
                "--staging", S.uri(f"engine/runs/{load}/staging/"), "--quarantine", S.uri(f"engine/quarantine/{load}/"),
            ]

        requests = [
            {"id": "s-1", "argv": stage("E1")},
            {"id": "s-2", "argv": ["bronze_to_silver.py", "--phase", "stage", "--dataset", "orders"]},
            {"id": "s-3", "argv": ["no_such_job.py"]},
            {"id": "s-4", "argv": [  # an unexpected exception in the job (no such database): reported, and on to the next
                "query_table.py", "--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", "Q1",
                "--attempt", "1", "--result", S.uri("engine/runs/Q1/query.json"), "--database", "nowhere",
                "--gold-database", "gold", "--as-of", "20240101000000000", "--sql", "SELECT * FROM silver.orders",
                "--limit", "1"]},
            "not a JSON request",
            {"id": "s-5", "argv": stage("E2", contract="order_items")},  # the wrong dataset's contract: a job failure
        ]
        env = dict(os.environ, **tc["env"])
        proc = subprocess.Popen(
            engine_command(tc, home), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=S.work_dir(),
        )
        stderr = []
        reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
        reader.start()
        try:
            ready = proc.stdout.readline().decode("utf-8")
            self.assertTrue(ready.startswith("LAKEPLANE-READY "), ready or b"".join(stderr)[-3000:])
            self.assertEqual(json.loads(ready[len("LAKEPLANE-READY "):]),
                             {"spark": "3.5.6", "hudi": "1.0.2", "gx": "1.8.1"})
            answers = []
            for r in requests:
                proc.stdin.write(((r if isinstance(r, str) else json.dumps(r)) + "\n").encode("utf-8"))
                proc.stdin.flush()
                answers.append(proc.stdout.readline().decode("utf-8"))
            proc.stdin.close()
            rest = proc.stdout.read().decode("utf-8")
            code = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.join(10)
        self.assertEqual(code, 0, b"".join(stderr)[-3000:])
        self.assertEqual(rest, "")  # nothing but protocol lines on stdout
        steps = [json.loads(a[len("LAKEPLANE-STEP "):]) for a in answers if a.startswith("LAKEPLANE-STEP ")]
        self.assertEqual(len(steps), len(answers), answers)
        self.assertEqual(steps[0], {"id": "s-1", "exitCode": 0, "error": None})
        self.assertEqual(steps[1]["exitCode"], 2)
        self.assertIn("the following arguments are required: --contract", steps[1]["error"])
        self.assertEqual(steps[2]["exitCode"], 2)
        self.assertIn("'no_such_job.py' is not a job script", steps[2]["error"])
        self.assertEqual((steps[3]["id"], steps[3]["exitCode"]), ("s-4", 1))
        # The query job's first statement (show_commits of nowhere.orders) meets the missing database.
        self.assertTrue(steps[3]["error"].startswith("AnalysisException: [SCHEMA_NOT_FOUND]"), steps[3]["error"])
        self.assertEqual(S.read_json(S.uri("engine/runs/Q1/query.json"))["error"].split(":")[0], "AnalysisException")
        self.assertEqual((steps[4]["id"], steps[4]["exitCode"]), (None, 2))
        self.assertTrue(steps[4]["error"].startswith("not a JSON request"))
        self.assertEqual((steps[5]["id"], steps[5]["exitCode"]), ("s-5", 1))
        self.assertIn("--dataset orders does not match the contract", steps[5]["error"])

        self.assertEqual(S.read_json(S.uri("engine/runs/E1/stage.json"))["rowsStaged"], 4)
        self.assertTrue(os.path.isdir(S.path("engine/runs/E1/staging")))
        for name in ("metastore_db", "derby.log"):
            self.assertTrue(os.path.exists(os.path.join(home, "spark", name)), name)
        self.assertFalse(os.path.exists(os.path.join(S.work_dir(), "derby.log")))
        err = b"".join(stderr).decode("utf-8", "replace")
        self.assertIn('"rowsStaged":4', err)  # the job's own print went to stderr


if __name__ == "__main__":
    unittest.main()
