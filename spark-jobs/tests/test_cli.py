import unittest

from lakeplane_jobs.cli import (
    PHASES,
    GoldArgs,
    QuarantineArgs,
    StageArgs,
    UpsertArgs,
    ValidateArgs,
    job_argv,
    parse_bronze_to_silver,
    parse_silver_to_gold,
    parse_validate_batch,
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
VALIDATE = [*COMMON, "--attempt", "2", "--result", "s3://art/runs/orders-0a1b2c/attempt-2/validate.json",
            "--staging", "s3://art/runs/orders-0a1b2c/attempt-2/staging/"]
# In the order of planLoad (shared/core/plan.ts), which passes --attempt to every step.
QUARANTINE = ["--phase", "quarantine", *COMMON, "--attempt", "2",
              "--result", "s3://art/runs/orders-0a1b2c/attempt-2/quarantine.json",
              "--staging", "s3://art/runs/orders-0a1b2c/attempt-2/staging/",
              "--quarantine", "s3://quarantine/orders/orders-0a1b2c/attempt-2/"]
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


MANIFEST_URI = "s3://art/runs/orders-0a1b2c/manifest.json"
# The stage of a coalesced load, in planLoad's order: --manifest where --input was.
STAGE_MANIFEST = [a if a != "s3://bronze/orders/2024/05/01/f.ndjson" else MANIFEST_URI for a in STAGE]
STAGE_MANIFEST[STAGE_MANIFEST.index("--input")] = "--manifest"


class StageInputs(unittest.TestCase):
    """Exactly one of --manifest and --input; --input-version only with --input."""

    def error(self, argv):
        with self.assertRaises(JobArgumentError) as cm:
            parse_bronze_to_silver(argv)
        return str(cm.exception)

    def test_manifest(self):
        args = parse_bronze_to_silver(STAGE_MANIFEST)
        self.assertEqual((args.manifest, args.input, args.input_version), (MANIFEST_URI, None, None))
        self.assertIsNone(parse_bronze_to_silver(STAGE).manifest)

    def test_neither(self):
        at = STAGE.index("--input")
        self.assertEqual(
            self.error(STAGE[:at] + STAGE[at + 2:]),
            "bronze_to_silver.py --phase stage: one of --manifest (the load's manifest.json) and --input "
            "(one Bronze object) is required",
        )

    def test_both(self):
        self.assertEqual(
            self.error(STAGE + ["--manifest", MANIFEST_URI]),
            "bronze_to_silver.py --phase stage: --manifest and --input exclude each other: a load reads the "
            "objects of its manifest, or the one --input object of a load from before manifests",
        )

    def test_input_version_needs_input(self):
        self.assertEqual(
            self.error(STAGE_MANIFEST + ["--input-version", "v1"]),
            "bronze_to_silver.py --phase stage: --input-version goes with --input only; a manifest names each "
            "object's version itself",
        )

    def test_manifest_is_one_object(self):
        self.assertIn(
            "argument --manifest: 's3://art/runs/orders-0a1b2c/' is not the URI of one object",
            self.error([a if a != MANIFEST_URI else "s3://art/runs/orders-0a1b2c/" for a in STAGE_MANIFEST]),
        )

    def test_argv_roundtrip_and_step_args(self):
        args = parse_bronze_to_silver(STAGE_MANIFEST)
        self.assertEqual(job_argv(args), STAGE_MANIFEST)
        self.assertEqual(parse_bronze_to_silver(job_argv(args)), args)
        self.assertEqual(
            step_args("art", args)[-len(STAGE_MANIFEST) - 1:],
            ["s3://art/spark-jobs/bronze_to_silver.py"] + STAGE_MANIFEST,
        )


class Quarantine(unittest.TestCase):
    def error(self, argv):
        with self.assertRaises(JobArgumentError) as cm:
            parse_bronze_to_silver(argv)
        return str(cm.exception)

    def replaced(self, old, new, argv=QUARANTINE):
        return [a if a != old else new for a in argv]

    def test_quarantine(self):
        self.assertIn("quarantine", PHASES)
        self.assertEqual(
            parse_bronze_to_silver(QUARANTINE),
            QuarantineArgs(
                dataset="orders",
                contract="s3://art/contracts/orders.json",
                load_id="orders-0a1b2c",
                attempt=2,
                result="s3://art/runs/orders-0a1b2c/attempt-2/quarantine.json",
                staging="s3://art/runs/orders-0a1b2c/attempt-2/staging/",
                quarantine="s3://quarantine/orders/orders-0a1b2c/attempt-2/",
            ),
        )
        self.assertEqual(parse_bronze_to_silver(QUARANTINE).phase, "quarantine")

    def test_prefixes_get_a_trailing_slash(self):
        argv = self.replaced("s3://quarantine/orders/orders-0a1b2c/attempt-2/", "s3://quarantine/orders/orders-0a1b2c/attempt-2")
        argv = self.replaced("s3://art/runs/orders-0a1b2c/attempt-2/staging/", "s3://art/runs/orders-0a1b2c/attempt-2/staging",
                             argv)
        args = parse_bronze_to_silver(argv)
        self.assertEqual(args.quarantine, "s3://quarantine/orders/orders-0a1b2c/attempt-2/")
        self.assertEqual(args.staging, "s3://art/runs/orders-0a1b2c/attempt-2/staging/")

    def test_argv_roundtrip_in_the_state_machine_order(self):
        args = parse_bronze_to_silver(QUARANTINE)
        self.assertEqual(job_argv(args), QUARANTINE)
        self.assertEqual(parse_bronze_to_silver(job_argv(args)), args)

    def test_errors(self):
        for flag in ("--staging", "--quarantine", "--attempt", "--result"):
            i = QUARANTINE.index(flag)
            with self.subTest(missing=flag):
                self.assertEqual(
                    self.error(QUARANTINE[:i] + QUARANTINE[i + 2:]),
                    f"bronze_to_silver.py --phase quarantine: the following arguments are required: {flag}",
                )
        self.assertEqual(
            self.error(self.replaced("2", "0")),
            "bronze_to_silver.py --phase quarantine: argument --attempt: '0' is not an attempt number "
            "(1 for the first run, 2, ...)",
        )
        self.assertIn(
            "unrecognized arguments: --input s3://bronze/orders/f.ndjson",
            self.error(QUARANTINE + ["--input", "s3://bronze/orders/f.ndjson"]),
        )
        self.assertIn(
            "unrecognized arguments: --silver-path s3://silver/orders/",
            self.error(QUARANTINE + ["--silver-path", "s3://silver/orders/"]),
        )
        self.assertIn(
            "argument --quarantine: 'quarantine/' is not an s3://bucket/... URI",
            self.error(self.replaced("s3://quarantine/orders/orders-0a1b2c/attempt-2/", "quarantine/")),
        )
        self.assertIn("the following arguments are required: --quarantine",
                      self.error(self.replaced("--quarantine", "--quar")))

    def test_staging_must_not_overlap_the_quarantine_location(self):
        # Deleting staging after the move must not delete the copy.
        for staging in (
            "s3://quarantine/orders/orders-0a1b2c/attempt-2/staged-batch/",
            "s3a://quarantine/orders/orders-0a1b2c/attempt-2/staged-batch/x/",
            "s3://quarantine/orders/",
        ):
            with self.subTest(staging=staging):
                self.assertEqual(
                    self.error(self.replaced("s3://art/runs/orders-0a1b2c/attempt-2/staging/", staging)),
                    f"bronze_to_silver.py --phase quarantine: --staging {staging} overlaps the quarantine location "
                    "s3://quarantine/orders/orders-0a1b2c/attempt-2/staged-batch/; the staging prefix is deleted "
                    "once the batch is moved",
                )
        # A sibling of staged-batch/ is fine.
        sibling = self.replaced("s3://art/runs/orders-0a1b2c/attempt-2/staging/",
                                "s3://quarantine/orders/orders-0a1b2c/attempt-2/staging/")
        self.assertEqual(parse_bronze_to_silver(sibling).staging, "s3://quarantine/orders/orders-0a1b2c/attempt-2/staging/")


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


class ValidateBatch(unittest.TestCase):
    def error(self, argv):
        with self.assertRaises(JobArgumentError) as cm:
            parse_validate_batch(argv)
        return str(cm.exception)

    def test_validate(self):
        self.assertEqual(
            parse_validate_batch(VALIDATE),
            ValidateArgs(
                dataset="orders",
                contract="s3://art/contracts/orders.json",
                load_id="orders-0a1b2c",
                attempt=2,
                result="s3://art/runs/orders-0a1b2c/attempt-2/validate.json",
                staging="s3://art/runs/orders-0a1b2c/attempt-2/staging/",
            ),
        )
        self.assertEqual(parse_validate_batch(VALIDATE).phase, "validate")

    def test_staging_gets_a_trailing_slash(self):
        argv = [a if a != "s3://art/runs/orders-0a1b2c/attempt-2/staging/" else "s3://art/runs/orders-0a1b2c/attempt-2/staging"
                for a in VALIDATE]
        self.assertEqual(parse_validate_batch(argv).staging, "s3://art/runs/orders-0a1b2c/attempt-2/staging/")

    def test_argv_roundtrip_in_the_state_machine_order(self):
        args = parse_validate_batch(VALIDATE)
        self.assertEqual(job_argv(args), VALIDATE)
        self.assertEqual(parse_validate_batch(job_argv(args)), args)

    def test_errors(self):
        self.assertEqual(
            self.error(VALIDATE[:-2]),
            "validate_batch.py: the following arguments are required: --staging",
        )
        without_attempt = VALIDATE[:6] + VALIDATE[8:]
        self.assertEqual(
            self.error(without_attempt),
            "validate_batch.py: the following arguments are required: --attempt",
        )
        for bad in ("0", "-1", "two", "1.5"):
            self.assertEqual(
                self.error([a if a != "2" else bad for a in VALIDATE]),
                f"validate_batch.py: argument --attempt: '{bad}' is not an attempt number (1 for the first run, 2, ...)",
            )
        self.assertIn(
            "argument --result: 's3://art/runs/' is not the URI of one object",
            self.error([a if not a.endswith("validate.json") else "s3://art/runs/" for a in VALIDATE]),
        )
        self.assertIn(
            "argument --staging: 'staging/' is not an s3://bucket/... URI",
            self.error([a if not a.endswith("staging/") else "staging/" for a in VALIDATE]),
        )
        self.assertIn(
            "argument --dataset: 'Orders' is not a dataset name",
            self.error([a if a != "orders" else "Orders" for a in VALIDATE]),
        )
        self.assertIn("unrecognized arguments: --phase validate", self.error(["--phase", "validate", *VALIDATE]))
        self.assertIn("unrecognized arguments: --quarantine s3://q/", self.error(VALIDATE + ["--quarantine", "s3://q/"]))
        self.assertIn("the following arguments are required: --staging",
                      self.error([a if a != "--staging" else "--stag" for a in VALIDATE]))


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

    def test_quarantine(self):
        self.assertEqual(
            step_args("art", parse_bronze_to_silver(QUARANTINE)),
            [
                "spark-submit", "--deploy-mode", "cluster",
                "--py-files", "s3://art/spark-jobs/lakeplane_jobs.zip",
                "s3://art/spark-jobs/bronze_to_silver.py",
                "--phase", "quarantine",
                "--dataset", "orders",
                "--contract", "s3://art/contracts/orders.json",
                "--load-id", "orders-0a1b2c",
                "--attempt", "2",
                "--result", "s3://art/runs/orders-0a1b2c/attempt-2/quarantine.json",
                "--staging", "s3://art/runs/orders-0a1b2c/attempt-2/staging/",
                "--quarantine", "s3://quarantine/orders/orders-0a1b2c/attempt-2/",
            ],
        )

    def test_validate(self):
        # The state machine puts --jars before --py-files; spark-submit takes its options in any order.
        self.assertEqual(
            step_args("art", parse_validate_batch(VALIDATE), ["--jars", "/usr/lib/hudi/hudi-spark-bundle.jar"]),
            [
                "spark-submit", "--deploy-mode", "cluster",
                "--py-files", "s3://art/spark-jobs/lakeplane_jobs.zip",
                "--jars", "/usr/lib/hudi/hudi-spark-bundle.jar",
                "s3://art/spark-jobs/validate_batch.py",
                "--dataset", "orders",
                "--contract", "s3://art/contracts/orders.json",
                "--load-id", "orders-0a1b2c",
                "--attempt", "2",
                "--result", "s3://art/runs/orders-0a1b2c/attempt-2/validate.json",
                "--staging", "s3://art/runs/orders-0a1b2c/attempt-2/staging/",
            ],
        )


if __name__ == "__main__":
    unittest.main()
