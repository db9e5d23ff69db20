"""The stage of a coalesced load for real: ``--manifest`` names three Bronze objects (orders contract).

The manifest's objects carry ``localUri`` as the local Spark engine's do, so no S3 copy is made;
the quarantine records and messages still name each object as ``s3://bucket/key[?versionId=V]``.
"""

from __future__ import annotations

import json
import os
import unittest
from typing import Any, Dict, List

from lakeplane_jobs.casting import parse_line
from lakeplane_jobs.contract import key_columns, parse_contract, required_fields

from . import support as S

CONTRACT = parse_contract(S.fixture_document("orders"))
NOT_JSON = "not valid JSON: Expecting value: line 1 column 1 (char 0)"
REJECTED_2_OF_3 = (
    "object rejected: 2 of 3 records are bad (more than bronze.max_bad_record_ratio allows); "
    "fix the file and land it again"
)


def order(order_id: str, status: str, updated_at: str, **over: Any) -> Dict[str, Any]:
    rec = {"order_id": order_id, "customer_id": "c-" + order_id, "status": status,
           "order_ts": "2024-05-01T09:00:00Z", "order_total": 10, "currency": "EUR", "fx_rate": 1.1,
           "updated_at": updated_at}
    rec.update(over)
    return rec


# Object 0: o2 twice at the same updated_at (the later line, "paid", wins within the object); o1.
A = [order("o2", "placed", "2024-05-01T10:00:00Z"), order("o2", "paid", "2024-05-01T10:00:00Z"),
     order("o1", "placed", "2024-05-01T10:00:00Z")]
# Object 1: o1 at the same updated_at as object 0's, on an EARLIER line (1 < 3): the later object wins.
# One bad line of five: 20%, what max_bad_record_ratio 0.2 allows; it is quarantined on its own.
B_BAD = json.dumps(order("o9", "paid", "2024-05-01T11:00:00Z", fx_rate="abc"))
B = [order("o1", "cancelled", "2024-05-01T10:00:00Z"), order("o3", "paid", "2024-05-01T11:00:00Z"), B_BAD,
     order("o4", "paid", "2024-05-01T11:00:00Z"), order("o5", "placed", "2024-05-01T11:00:00Z")]
# Object 2: two bad records of three (the blank line is none): rejected whole. Its good record, a
# NEWER o1, would win the dedupe if it were staged.
C_MISSING = json.dumps({"order_id": "o6"})
C = ["not json", "", order("o1", "refunded", "2024-05-01T12:00:00Z"), C_MISSING]
# Another object over the ratio, whose first bad line is not line 1.
D = [order("o7", "paid", "2024-05-01T10:00:00Z"), "[1]", "{}"]


def reason_of(raw: str) -> str:
    """The reason casting.parse_line gives a bad line (what the stage must quarantine it with)."""
    columns = tuple((c.name, c.type) for c in CONTRACT.columns)
    non_empty = tuple(k for k in key_columns(CONTRACT) if CONTRACT.column(k).type.kind == "string")
    r = parse_line(raw, 1, columns, required_fields(CONTRACT), non_empty)
    assert r is not None and r.reason is not None
    return r.reason


def manifest_object(name: str, lines: List[Any], version: Any) -> Dict[str, Any]:
    """A Bronze object written under the scratch lake, described as the local engine describes it."""
    local = S.write_ndjson(f"sm/objects/{name}", lines)
    o = {"bucket": "bronze", "key": f"orders/2024/05/01/{name}", "etag": "e-" + name,
         "size": os.path.getsize(local[len("file://"):]), "landedAt": "2024-05-01T12:00:00Z", "localUri": local}
    if version is not None:
        o["versionId"] = version
    return o


def stage_args(load: str, *inputs: str) -> List[str]:
    run = f"sm/runs/{load}/attempt-1"
    return [
        "--phase", "stage", "--dataset", "orders", "--contract", S.contract_uri("orders"), "--load-id", load,
        "--result", S.uri(f"{run}/stage.json"), *inputs,
        "--staging", S.uri(f"{run}/staging/"), "--quarantine", S.uri(f"sm/quarantine/orders/{load}/attempt-1/"),
    ]


def with_manifest(load: str, objects: List[Dict[str, Any]]) -> List[str]:
    doc = {"version": 1, "loadId": load, "dataset": "orders", "objects": objects}
    manifest = S.write_text(f"sm/runs/{load}/manifest.json", json.dumps(doc) + "\n")
    return stage_args(load, "--manifest", manifest)


def staged(load: str) -> Dict[str, Dict[str, Any]]:
    rows = S.session().read.parquet(S.uri(f"sm/runs/{load}/attempt-1/staging/")).collect()
    return {r["order_id"]: r.asDict() for r in rows}


def quarantined(load: str) -> List[Dict[str, Any]]:
    rows = S.session().read.json(S.uri(f"sm/quarantine/orders/{load}/attempt-1/")).collect()
    return sorted((r.asDict() for r in rows), key=lambda r: (r["source"], r["lineNumber"]))


class StageManifest(unittest.TestCase):
    SRC_A = "s3://bronze/orders/2024/05/01/a.ndjson?versionId=vA"
    SRC_B = "s3://bronze/orders/2024/05/01/b.ndjson"  # an unversioned bucket: no versionId
    SRC_C = "s3://bronze/orders/2024/05/01/c.ndjson?versionId=vC"

    def test_three_objects_tie_to_the_later_object_and_one_rejected_whole(self):
        objects = [manifest_object("a.ndjson", A, "vA"), manifest_object("b.ndjson", B, None),
                   manifest_object("c.ndjson", C, "vC")]
        code, result, _ = S.run_step("bronze_to_silver.py", *with_manifest("M1", objects))
        self.assertEqual(code, 0, result)
        self.assertEqual(result, {
            "phase": "stage", "loadId": "M1", "dataset": "orders",
            "rowsIn": 11, "rowsQuarantined": 4, "rowsStaged": 5, "duplicatesDropped": 2, "objectsRejected": 1,
            "objects": [{"rowsIn": 3, "rowsQuarantined": 0}, {"rowsIn": 5, "rowsQuarantined": 1},
                        {"rowsIn": 3, "rowsQuarantined": 3}],
        })
        self.assertEqual(result["rowsIn"], result["rowsStaged"] + result["duplicatesDropped"] + result["rowsQuarantined"])

        rows = staged("M1")
        self.assertEqual(sorted(rows), ["o1", "o2", "o3", "o4", "o5"])
        # (a) A tie across objects goes to the later object (b.ndjson line 1 over a.ndjson line 3);
        # within one object to the later line; the rejected object's newer o1 is not staged.
        self.assertEqual(rows["o1"]["status"], "cancelled")
        self.assertEqual(rows["o2"]["status"], "paid")

        # (b) Every record of the rejected object is quarantined, its bad lines with their own reason,
        # its good line with the object's; b.ndjson's one bad line with its own.
        def q(source: str, line: int, raw: str, reason: str) -> Dict[str, Any]:
            return {"loadId": "M1", "dataset": "orders", "source": source, "lineNumber": line, "rawLine": raw,
                    "reason": reason}

        self.assertEqual(quarantined("M1"), [
            q(self.SRC_B, 3, B_BAD, 'field fx_rate: "abc" is not a double'),
            q(self.SRC_C, 1, "not json", NOT_JSON),
            q(self.SRC_C, 3, json.dumps(C[2]), REJECTED_2_OF_3),
            q(self.SRC_C, 4, C_MISSING, reason_of(C_MISSING)),
        ])

    def test_a_truncated_gzip_object_fails_the_load_naming_it(self):
        import gzip

        whole = gzip.compress(("\n".join(json.dumps(o) for o in A) + "\n").encode())
        cut = S.path("sm/objects/cut.ndjson.gz")
        os.makedirs(os.path.dirname(cut), exist_ok=True)
        with open(cut, "wb") as f:
            f.write(whole[: len(whole) * 2 // 3])
        damaged = {"bucket": "bronze", "key": "orders/2024/05/01/cut.ndjson.gz", "etag": "e-cut",
                   "size": os.path.getsize(cut), "landedAt": "2024-05-01T12:00:00Z", "versionId": "vCut",
                   "localUri": "file://" + cut}
        objects = [manifest_object("a4.ndjson", A, "vA4"), damaged]
        code, result, _ = S.run_step("bronze_to_silver.py", *with_manifest("M5", objects))
        self.assertEqual(code, 1)
        self.assertEqual(
            result["error"],
            "s3://bronze/orders/2024/05/01/cut.ndjson.gz?versionId=vCut is not a whole gzip file (unexpected end "
            "of file): nothing of it was loaded; land the complete file again",
        )
        self.assertFalse(os.path.exists(S.path("sm/runs/M5/attempt-1/staging")))

    def test_every_object_rejected_fails_naming_the_first(self):
        objects = [manifest_object("d.ndjson", D, "vD"), manifest_object("c2.ndjson", C, "vC2")]
        code, result, _ = S.run_step("bronze_to_silver.py", *with_manifest("M2", objects))
        self.assertEqual(code, 1)
        self.assertEqual(
            result["error"],
            "orders: 2 of 3 records (66.7%) in s3://bronze/orders/2024/05/01/d.ndjson?versionId=vD are bad, more "
            "than bronze.max_bad_record_ratio 0.2 allows; the file was not staged. First bad line 2: "
            f"{reason_of('[1]')}",
        )
        self.assertFalse(os.path.exists(S.path("sm/runs/M2/attempt-1/staging")))
        self.assertFalse(os.path.exists(S.path("sm/quarantine/orders/M2")))

    def test_a_one_object_manifest_stages_what_the_input_form_does(self):
        lines = A + B
        code, by_manifest, _ = S.run_step(
            "bronze_to_silver.py", *with_manifest("M3", [manifest_object("ab.ndjson", lines, "vAB")])
        )
        self.assertEqual(code, 0, by_manifest)
        source = S.write_ndjson("sm/objects/ab-input.ndjson", lines)
        code, by_input, _ = S.run_step("bronze_to_silver.py", *stage_args("I3", "--input", source))
        self.assertEqual(code, 0, by_input)
        self.assertEqual({**by_manifest, "loadId": "-"}, {**by_input, "loadId": "-"})
        self.assertEqual(by_input, {"phase": "stage", "loadId": "I3", "dataset": "orders", "rowsIn": 8,
                                    "rowsQuarantined": 1, "rowsStaged": 5, "duplicatesDropped": 2,
                                    "objectsRejected": 0})
        self.assertEqual(staged("M3"), staged("I3"))
        # One object: the later line wins (b's o1 is line 4 of the file).
        self.assertEqual(staged("M3")["o1"]["status"], "cancelled")
        self.assertEqual([r["source"] for r in quarantined("M3")], ["s3://bronze/orders/2024/05/01/ab.ndjson?versionId=vAB"])
        self.assertEqual([r["source"] for r in quarantined("I3")], [source])

    def test_a_manifest_of_another_load_fails(self):
        objects = [manifest_object("e.ndjson", A, "vE")]
        argv = with_manifest("M4", objects)
        wrong = S.write_text("sm/runs/M4/other.json", json.dumps(
            {"version": 1, "loadId": "M0", "dataset": "orders", "objects": objects}))
        argv[argv.index("--manifest") + 1] = wrong
        code, result, _ = S.run_step("bronze_to_silver.py", *argv)
        self.assertEqual(code, 1)
        self.assertEqual(
            result["error"],
            f"the load manifest {wrong} is for load 'M0', not --load-id M4; pass the manifest of this load",
        )


if __name__ == "__main__":
    unittest.main()
