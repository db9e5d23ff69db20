import unittest

from lakeplane_jobs.cli import (
    GoldArgs,
    StageArgs,
    UpsertArgs,
    job_argv,
    parse_bronze_to_silver,
    parse_silver_to_gold,
)
from lakeplane_jobs.emr import step_args
from lakeplane_jobs.errors import JobArgumentError

COMMON = [
    "--dataset", "orders",
    "--contract", "s3://art/contracts/orders.json",
    "--load-id", "orders-0a1b2c",
]
STAGE = ["--phase", "stage", *COMMON, "--result", "s3://art/runs/orders-0a1b2c/attempt-1/stage.json",
         "--input", "s3://bronze/orders/2024/05/01/f.ndjson",
         "--staging", "s3://art/runs/orders-0a1b2c/attempt-1/staging/",
         "--quarantine", "s3://quarantine/orders/orders-0a1b2c/"]
UPSERT = ["--phase", "upsert", *COMMON, "--result", "s3://art/runs/orders-0a1b2c/attempt-1/upsert.json",
          "--staging", "s3://art/runs/orders-0a1b2c/attempt-1/staging/",
          "--silver-path", "s3://silver/orders/", "--database", "lake_silver"]
GOLD = [*COMMON, "--result", "s3://art/runs/orders-0a1b2c/attempt-1/gold.json", "--gold-path", "s3://gold/",
        "--silver-database", "lake_silver", "--gold-database", "lake_gold"]


class BronzeToSilver(unittest.TestCase):
    def error(self, argv):
        with self.assertRaises(JobArgumentError) as cm:
            parse_bronze_to_silver(argv)
        return str(cm.exception)

    def test_stage(self):
        args = parse_bronze_to_silver(STAGE)
        self.assertEqual(
            args,
            StageArgs(
                dataset="orders",
                contract="s3://art/contracts/orders.json",
                load_id="orders-0a1b2c",
                result="s3://art/runs/orders-0a1b2c/attempt-1/stage.json",
                input="s3://bronze/orders/2024/05/01/f.ndjson",
                input_version=None,
                staging="s3://art/runs/orders-0a1b2c/attempt-1/staging/",
                quarantine="s3://quarantine/orders/orders-0a1b2c/",
            ),
        )
        with_version = parse_bronze_to_silver(STAGE + ["--input-version", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"])
        self.assertEqual(with_version.input_version, "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")

    def test_upsert_defaults_to_hudi_1x(self):
        args = parse_bronze_to_silver(UPSERT)
        self.assertIsInstance(args, UpsertArgs)
        self.assertEqual(args.hudi_version, "1.x")
        self.assertEqual(args.silver_path, "s3://silver/orders/")
        self.assertEqual(parse_bronze_to_silver(UPSERT + ["--hudi-version", "0.x"]).hudi_version, "0.x")

    def test_prefixes_get_a_trailing_slash(self):
        argv = [a if a != "s3://silver/orders/" else "s3://silver/orders" for a in UPSERT]
        self.assertEqual(parse_bronze_to_silver(argv).silver_path, "s3://silver/orders/")

    def test_errors(self):
        self.assertEqual(
            self.error(STAGE[2:]),
            "bronze_to_silver.py: the following arguments are required: --phase",
        )
        self.assertIn("argument --phase: invalid choice: 'gold'", self.error(["--phase", "gold", *STAGE[2:]]))
        self.assertIn(
            "the following arguments are required: --quarantine",
            self.error(STAGE[:-2]),
        )
        self.assertIn(
            "unrecognized arguments: --silver-path s3://silver/orders/",
            self.error(STAGE + ["--silver-path", "s3://silver/orders/"]),
        )
        self.assertIn("argument --hudi-version: invalid choice: '0.15'", self.error(UPSERT + ["--hudi-version", "0.15"]))
        self.assertIn(
            "argument --dataset: 'Orders' is not a dataset name",
            self.error([a if a != "orders" else "Orders" for a in STAGE]),
        )
        self.assertIn(
            "argument --load-id: 'a:b' is not a load id",
            self.error([a if a != "orders-0a1b2c" else "a:b" for a in STAGE]),
        )
        self.assertIn(
            "argument --input: 's3://bronze/orders/' is not the URI of one object",
            self.error([a if a != "s3://bronze/orders/2024/05/01/f.ndjson" else "s3://bronze/orders/" for a in STAGE]),
        )
        self.assertIn(
            "argument --contract: 'orders.json' is not an s3://bucket/... URI",
            self.error([a if a != "s3://art/contracts/orders.json" else "orders.json" for a in STAGE]),
        )
        self.assertIn("--input-version must not be empty", self.error(STAGE + ["--input-version", " "]))
        self.assertIn("unrecognized arguments: --data orders", self.error(STAGE + ["--data", "orders"]))

    def test_argv_roundtrip(self):
        for argv in (STAGE, STAGE + ["--input-version", "v1"], UPSERT, UPSERT + ["--hudi-version", "0.x"]):
            args = parse_bronze_to_silver(argv)
            self.assertEqual(parse_bronze_to_silver(job_argv(args)), args)


class SilverToGold(unittest.TestCase):
    def test_gold(self):
        self.assertEqual(
            parse_silver_to_gold(GOLD),
            GoldArgs(
                dataset="orders",
                contract="s3://art/contracts/orders.json",
                load_id="orders-0a1b2c",
                result="s3://art/runs/orders-0a1b2c/attempt-1/gold.json",
                gold_path="s3://gold/",
                silver_database="lake_silver",
                gold_database="lake_gold",
            ),
        )
        self.assertEqual(parse_silver_to_gold(job_argv(parse_silver_to_gold(GOLD))), parse_silver_to_gold(GOLD))

    def test_errors(self):
        with self.assertRaises(JobArgumentError) as cm:
            parse_silver_to_gold(GOLD[:-2])
        self.assertEqual(str(cm.exception), "silver_to_gold.py: the following arguments are required: --gold-database")
        with self.assertRaises(JobArgumentError) as cm:
            parse_silver_to_gold(["--phase", "stage", *GOLD])
        self.assertIn("unrecognized arguments: --phase stage", str(cm.exception))
        with self.assertRaises(JobArgumentError) as cm:
            parse_silver_to_gold([a if a != "lake_gold" else "lake gold" for a in GOLD])
        self.assertIn("'lake gold' is not a Glue database name", str(cm.exception))


class StepArgs(unittest.TestCase):
    """The command-runner.jar Args, in the shape shared/core/plan.ts submits."""

    def test_stage_upsert_gold(self):
        zip_and = ["spark-submit", "--deploy-mode", "cluster", "--py-files", "s3://art/spark-jobs/lakeplane_jobs.zip"]
        self.assertEqual(
            step_args("art", parse_bronze_to_silver(STAGE)),
            zip_and + ["s3://art/spark-jobs/bronze_to_silver.py"] + STAGE,
        )
        self.assertEqual(
            step_args("art", parse_bronze_to_silver(UPSERT)),
            zip_and + ["s3://art/spark-jobs/bronze_to_silver.py"] + UPSERT,
        )
        self.assertEqual(
            step_args("art", parse_silver_to_gold(GOLD), ["--jars", "/usr/lib/hudi/hudi-spark-bundle.jar"]),
            zip_and + ["--jars", "/usr/lib/hudi/hudi-spark-bundle.jar", "s3://art/spark-jobs/silver_to_gold.py"] + GOLD,
        )


if __name__ == "__main__":
    unittest.main()
