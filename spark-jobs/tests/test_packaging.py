"""The package imports without PySpark, keeps to Python 3.9 (EMR 7's python3), and zips for --py-files."""

import ast
import os
import pkgutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

import lakeplane_jobs

from .helpers import SPARK_JOBS

PACKAGE_DIR = os.path.dirname(lakeplane_jobs.__file__)
JOB_SCRIPTS = ("bronze_to_silver.py", "silver_to_gold.py", "validate_batch.py", "rollback_table.py", "savepoint_table.py", "query_table.py", "build_zip.py", "local_engine.py")


def sources():
    for name in sorted(os.listdir(PACKAGE_DIR)):
        if name.endswith(".py"):
            yield os.path.join(PACKAGE_DIR, name)
    for name in JOB_SCRIPTS:
        yield os.path.join(SPARK_JOBS, name)


def run(args, **kw):
    env = dict(os.environ, PYTHONPATH=SPARK_JOBS)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=60, **kw)


class Imports(unittest.TestCase):
    def test_every_module_imports_without_pyspark(self):
        modules = sorted(m.name for m in pkgutil.iter_modules(lakeplane_jobs.__path__))
        self.assertIn("stage_job", modules)
        self.assertIn("validate_job", modules)
        code = (
            "import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module('lakeplane_jobs.' + m)\n"
            "import bronze_to_silver, silver_to_gold, validate_batch, rollback_table, savepoint_table, query_table\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] in\n"
            "             ('pyspark', 'py4j', 'boto3', 'great_expectations')))\n"
        )
        out = run(["-c", code])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "[]")


class Python39(unittest.TestCase):
    def test_sources_parse_as_python_3_9(self):
        for path in sources():
            with open(path, encoding="utf-8") as f:
                src = f.read()
            with self.subTest(path=os.path.relpath(path, SPARK_JOBS)):
                ast.parse(src, filename=path, feature_version=(3, 9))
                for newer in ("slots=True", "kw_only=", "strict=True", "TypeAlias", "ParamSpec", "| None"):
                    if newer == "| None" and "from __future__ import annotations" in src:
                        continue
                    self.assertNotIn(newer, src, f"{newer!r} needs Python 3.10+")


class JobScripts(unittest.TestCase):
    def test_bad_arguments_exit_2_with_the_reason(self):
        out = run([os.path.join(SPARK_JOBS, "bronze_to_silver.py"), "--phase", "stage", "--dataset", "orders"])
        self.assertEqual(out.returncode, 2)
        self.assertIn("the following arguments are required: --contract, --load-id, --result", out.stderr)
        out = run([os.path.join(SPARK_JOBS, "silver_to_gold.py")])
        self.assertEqual(out.returncode, 2)
        self.assertIn("silver_to_gold.py: the following arguments are required: --dataset", out.stderr)
        out = run([os.path.join(SPARK_JOBS, "validate_batch.py"), "--dataset", "orders", "--attempt", "0"])
        self.assertEqual(out.returncode, 2)
        self.assertIn("validate_batch.py: argument --attempt: '0' is not an attempt number", out.stderr)
        out = run([os.path.join(SPARK_JOBS, "validate_batch.py"), "--dataset", "orders"])
        self.assertEqual(out.returncode, 2)
        self.assertIn(
            "validate_batch.py: the following arguments are required: --contract, --load-id, --result, --attempt, --staging",
            out.stderr,
        )

    def test_quarantine_phase_arguments(self):
        out = run([os.path.join(SPARK_JOBS, "bronze_to_silver.py"), "--phase", "quarantine", "--dataset", "orders"])
        self.assertEqual(out.returncode, 2)
        self.assertIn(
            "bronze_to_silver.py --phase quarantine: the following arguments are required: --contract, --load-id, "
            "--result, --attempt, --staging, --quarantine",
            out.stderr,
        )
        out = run([os.path.join(SPARK_JOBS, "bronze_to_silver.py"), "--phase", "quarantine", "--help"])
        self.assertEqual(out.returncode, 0)
        self.assertIn("staged-batch/", out.stdout)

    def test_help(self):
        out = run([os.path.join(SPARK_JOBS, "silver_to_gold.py"), "--help"])
        self.assertEqual(out.returncode, 0)
        self.assertIn("--gold-database", out.stdout)
        out = run([os.path.join(SPARK_JOBS, "validate_batch.py"), "--help"])
        self.assertEqual(out.returncode, 0)
        self.assertIn("--staging", out.stdout)


class Zip(unittest.TestCase):
    def test_zip_holds_the_package_and_is_reproducible(self):
        with tempfile.TemporaryDirectory() as tmp:
            first = os.path.join(tmp, "a", "lakeplane_jobs.zip")
            second = os.path.join(tmp, "b", "lakeplane_jobs.zip")
            for target in (first, second):
                out = run([os.path.join(SPARK_JOBS, "build_zip.py"), target])
                self.assertEqual(out.returncode, 0, out.stderr)
            with open(first, "rb") as a, open(second, "rb") as b:
                self.assertEqual(a.read(), b.read())
            with zipfile.ZipFile(first) as zf:
                names = zf.namelist()
            expected = sorted(f"lakeplane_jobs/{n}" for n in os.listdir(PACKAGE_DIR) if n.endswith(".py"))
            self.assertEqual(names, expected)
            code = (
                "import sys; sys.path.insert(0, sys.argv[1]);"
                "import lakeplane_jobs.hudi as h; print(h.__file__.startswith(sys.argv[1]), h.DEFAULT_HUDI_LINE)"
            )
            out = subprocess.run([sys.executable, "-c", code, first], capture_output=True, text=True, timeout=60,
                                 cwd=tmp, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
            self.assertEqual(out.stdout.strip(), "True 1.x", out.stderr)


if __name__ == "__main__":
    unittest.main()
