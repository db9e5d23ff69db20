"""The load manifest (manifest.py) and how the stage turns it into the objects it reads (no Spark)."""

import json
import unittest
from unittest import mock

from lakeplane_jobs import spark_io, stage_job
from lakeplane_jobs.casting import rejected_reason
from lakeplane_jobs.cli import parse_bronze_to_silver
from lakeplane_jobs.errors import JobFailure
from lakeplane_jobs.manifest import ManifestError, ManifestObject, check_manifest_for, parse_manifest

URI = "s3://art/runs/orders-L1/manifest.json"


def obj(**over):
    o = {"bucket": "bronze", "key": "orders/2024/05/01/a.ndjson", "versionId": "v1", "etag": "e1", "size": 10,
         "landedAt": "2024-05-01T12:00:00Z"}
    o.update(over)
    return {k: v for k, v in o.items() if v is not ...}


def doc(*objects, **over):
    d = {"version": 1, "loadId": "orders-L1", "dataset": "orders", "objects": list(objects) or [obj()]}
    d.update(over)
    return {k: v for k, v in d.items() if v is not ...}


class Parse(unittest.TestCase):
    def error(self, document):
        text = document if isinstance(document, str) else json.dumps(document)
        with self.assertRaises(ManifestError) as cm:
            parse_manifest(text, URI)
        return str(cm.exception)

    def test_valid(self):
        m = parse_manifest(json.dumps(doc(obj(), obj(key="orders/b.ndjson.gz", versionId=..., size=0))), URI)
        self.assertEqual((m.load_id, m.dataset, len(m.objects)), ("orders-L1", "orders", 2))
        self.assertEqual(
            m.objects[0],
            ManifestObject("bronze", "orders/2024/05/01/a.ndjson", "v1", "e1", 10, "2024-05-01T12:00:00Z", None),
        )
        self.assertEqual(m.objects[0].source, "s3://bronze/orders/2024/05/01/a.ndjson?versionId=v1")
        self.assertEqual(m.objects[1].source, "s3://bronze/orders/b.ndjson.gz")
        self.assertIsNone(m.objects[1].version_id)

    def test_what_the_typescript_side_writes(self):
        # manifestBody in shared/core/manifest.ts: compact JSON and a newline; unknown fields ignored.
        text = json.dumps(doc(obj(extra="x")), separators=(",", ":")) + "\n"
        self.assertEqual(parse_manifest(text, URI).objects[0].key, "orders/2024/05/01/a.ndjson")

    def test_local_uri(self):
        m = parse_manifest(json.dumps(doc(obj(localUri="file:///w/spark/inputs/bronze/v1/a.ndjson"))), URI)
        self.assertEqual(m.objects[0].local_uri, "file:///w/spark/inputs/bronze/v1/a.ndjson")
        self.assertEqual(m.objects[0].source, "s3://bronze/orders/2024/05/01/a.ndjson?versionId=v1")
        self.assertEqual(
            self.error(doc(obj(localUri="s3://x/y"))),
            f"the load manifest {URI} is not valid at objects.0.localUri: must be a file: URI, got 's3://x/y'",
        )

    def test_not_json(self):
        self.assertEqual(
            self.error("{"),
            f"the load manifest {URI} is not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        )

    def test_field_errors_name_the_field(self):
        cases = [
            ([1], "(root): must be a JSON object, got an array"),
            (doc(version=2), "version: must be 1 (got 2); this job reads manifest version 1"),
            (doc(version=...), "version: must be 1 (missing); this job reads manifest version 1"),
            (doc(version=True), "version: must be 1 (got true); this job reads manifest version 1"),
            (doc(loadId=""), "loadId: must not be empty"),
            (doc(dataset=...), "dataset: missing"),
            (doc(objects=[]), "objects: must list at least one object"),
            (doc(objects={}), "objects: must be an array, got an object"),
            (doc(obj(), obj(), "x"), "objects.2: must be an object, got a string"),
            (doc(obj(), obj(), obj(key=...)), "objects.2.key: missing"),
            (doc(obj(bucket=7)), "objects.0.bucket: must be a string, got a number"),
            (doc(obj(versionId="")), "objects.0.versionId: must not be empty"),
            (doc(obj(versionId=None)), "objects.0.versionId: must be a string, got null"),
            (doc(obj(etag=...)), "objects.0.etag: missing"),
            (doc(obj(size=-1)), "objects.0.size: must be a whole number of bytes from 0 (got -1)"),
            (doc(obj(size=1.5)), "objects.0.size: must be a whole number of bytes from 0 (got 1.5)"),
            (doc(obj(size=True)), "objects.0.size: must be a whole number of bytes from 0 (got true)"),
            (doc(obj(landedAt=...)), "objects.0.landedAt: missing"),
        ]
        for document, expected in cases:
            with self.subTest(expected=expected):
                self.assertEqual(self.error(document), f"the load manifest {URI} is not valid at {expected}")

    def test_an_empty_etag_is_allowed(self):
        # As the TypeScript schema (z.string()) allows.
        self.assertEqual(parse_manifest(json.dumps(doc(obj(etag=""))), URI).objects[0].etag, "")

    def test_manifest_errors_fail_the_step(self):
        self.assertTrue(issubclass(ManifestError, JobFailure))

    def test_of_another_load_or_dataset(self):
        m = parse_manifest(json.dumps(doc()), URI)
        check_manifest_for(m, URI, "orders", "orders-L1")
        with self.assertRaisesRegex(ManifestError, "is for dataset 'orders', not --dataset order_items"):
            check_manifest_for(m, URI, "order_items", "orders-L1")
        with self.assertRaisesRegex(ManifestError, "is for load 'orders-L1', not --load-id orders-L2"):
            check_manifest_for(m, URI, "orders", "orders-L2")


STAGE = ["--phase", "stage", "--dataset", "orders", "--contract", "s3://art/contracts/orders.json",
         "--load-id", "orders-L1", "--result", "s3://art/runs/orders-L1/attempt-1/stage.json",
         "--staging", "s3://art/runs/orders-L1/attempt-1/staging/", "--quarantine", "s3://q/orders/orders-L1/attempt-1/"]


class StageInputs(unittest.TestCase):
    """stage_job's objects: the manifest's (read through spark_io) or the one --input; scratch copies per object."""

    def inputs(self, argv, manifest_text=None):
        args = parse_bronze_to_silver(argv)
        with mock.patch.object(spark_io, "read_text", lambda spark, uri: manifest_text):
            return args, stage_job.stage_inputs(None, args)

    def test_legacy_input_is_one_object(self):
        _, inputs = self.inputs(STAGE + ["--input", "s3://bronze/o/f.ndjson", "--input-version", "v9"])
        self.assertEqual(inputs, (stage_job.StageInput("s3://bronze/o/f.ndjson?versionId=v9", "s3://bronze/o/f.ndjson", "v9"),))
        _, inputs = self.inputs(STAGE + ["--input", "file:///tmp/f.ndjson"])
        self.assertEqual(inputs, (stage_job.StageInput("file:///tmp/f.ndjson", "file:///tmp/f.ndjson", None),))

    def test_manifest_objects_in_order(self):
        text = json.dumps(doc(obj(), obj(key="orders/b.ndjson", versionId=...), obj(localUri="file:///l/a.ndjson")))
        _, inputs = self.inputs(STAGE + ["--manifest", URI], text)
        self.assertEqual(
            [(i.source, i.version_id, i.local_uri) for i in inputs],
            [
                ("s3://bronze/orders/2024/05/01/a.ndjson?versionId=v1", "v1", None),
                ("s3://bronze/orders/b.ndjson", None, None),
                ("s3://bronze/orders/2024/05/01/a.ndjson?versionId=v1", "v1", "file:///l/a.ndjson"),
            ],
        )

    def test_unreadable_or_invalid_manifest(self):
        args = parse_bronze_to_silver(STAGE + ["--manifest", URI])

        def missing(spark, uri):
            raise RuntimeError("java.io.FileNotFoundException: No such file or directory\n\tat ...")

        with mock.patch.object(spark_io, "read_text", missing):
            with self.assertRaises(ManifestError) as cm:
                stage_job.stage_inputs(None, args)
        self.assertEqual(
            str(cm.exception),
            f"the load manifest {URI} cannot be read (java.io.FileNotFoundException: No such file or directory); "
            "the scheduler writes it before it starts the load: check that the file exists",
        )
        with self.assertRaisesRegex(ManifestError, r"not valid at objects\.0\.key: missing"):
            self.inputs(STAGE + ["--manifest", URI], json.dumps(doc(obj(key=...))))
        with self.assertRaisesRegex(ManifestError, "not --load-id orders-L1"):
            self.inputs(STAGE + ["--manifest", URI], json.dumps(doc(loadId="orders-L0")))

    def test_versions_are_copied_to_scratch_one_folder_per_object(self):
        text = json.dumps(doc(obj(), obj(versionId="v2"), obj(versionId=...), obj(localUri="file:///l/a.ndjson")))
        args, inputs = self.inputs(STAGE + ["--manifest", URI], text)
        copies, scratches = [], []
        with mock.patch.object(spark_io, "copy_object_version", lambda s, v, t: copies.append((s, v, t))):
            uris = stage_job.read_uris(args, inputs, scratches)
        scratch = "s3://art/runs/orders-L1/attempt-1/_input/orders-L1"
        # Two versions of one key: each its own copy, under the key's file name (the codec goes by it).
        self.assertEqual(copies, [
            ("s3://bronze/orders/2024/05/01/a.ndjson", "v1", f"{scratch}/0/a.ndjson"),
            ("s3://bronze/orders/2024/05/01/a.ndjson", "v2", f"{scratch}/1/a.ndjson"),
        ])
        self.assertEqual(scratches, [f"{scratch}/0/a.ndjson", f"{scratch}/1/a.ndjson"])
        self.assertEqual(uris, [f"{scratch}/0/a.ndjson", f"{scratch}/1/a.ndjson",
                                "s3://bronze/orders/2024/05/01/a.ndjson", "file:///l/a.ndjson"])

    def test_legacy_input_version_keeps_its_scratch_name(self):
        args, inputs = self.inputs(STAGE + ["--input", "s3://bronze/o/f.ndjson.gz", "--input-version", "v9"])
        scratches = []
        with mock.patch.object(spark_io, "copy_object_version", lambda s, v, t: None):
            uris = stage_job.read_uris(args, inputs, scratches)
        self.assertEqual(uris, ["s3://art/runs/orders-L1/attempt-1/_input/orders-L1/f.ndjson.gz"])

    def test_a_failed_copy_is_still_cleaned_up(self):
        args, inputs = self.inputs(STAGE + ["--manifest", URI], json.dumps(doc()))
        scratches = []

        def fail(source, version, target):
            raise RuntimeError("AccessDenied")

        with mock.patch.object(spark_io, "copy_object_version", fail):
            with self.assertRaisesRegex(RuntimeError, "AccessDenied"):
                stage_job.read_uris(args, inputs, scratches)
        self.assertEqual(scratches, ["s3://art/runs/orders-L1/attempt-1/_input/orders-L1/0/a.ndjson"])


class Rejection(unittest.TestCase):
    def test_objects_over_the_ratio(self):
        # (records, bad): 2 of 10 is exactly 0.2 (allowed); 3 of 10 is over; an empty object is never rejected.
        self.assertEqual(stage_job.rejected_objects([(10, 2), (10, 3), (0, 0), (1, 1), (5, 0)], 0.2), (1, 3))
        self.assertEqual(stage_job.rejected_objects([(4, 0)], 0.0), ())
        self.assertEqual(stage_job.rejected_objects([(4, 1)], 0.0), (0,))

    def test_rejected_reason(self):
        self.assertEqual(
            rejected_reason(2, 3),
            "object rejected: 2 of 3 records are bad (more than bronze.max_bad_record_ratio allows); "
            "fix the file and land it again",
        )


if __name__ == "__main__":
    unittest.main()


class WholeGzip(unittest.TestCase):
    """stage_job.whole_gzip: which .gz object of a failed read is damaged, in the local engine's words."""

    def test_whole_multi_member_truncated_and_not_gzip(self):
        import gzip

        from lakeplane_jobs.stage_job import whole_gzip

        z = gzip.compress(b'{"a": 1}\n' * 100)
        self.assertIsNone(whole_gzip(z))
        self.assertIsNone(whole_gzip(z + z))
        self.assertEqual(whole_gzip(z[: len(z) // 2]), "unexpected end of file")
        self.assertEqual(whole_gzip(z + z[:10]), "unexpected end of file")
        self.assertIn("incorrect header check", whole_gzip(b"not gzip at all") or "")
