"""The bad-record corpus (tests/fixtures/bad-records/corpus.json) through casting.parse_line.

The TypeScript rules and both paths of the local runtime give the same verdicts and reasons
(tests/unit/record-rules.test.ts, tests/integration/bad-records.test.ts).
"""

import base64
import json
import os
import unittest

from lakeplane_jobs.casting import parse_line
from lakeplane_jobs.coltypes import parse_column_type

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "bad-records", "corpus.json")
COLUMNS = tuple(
    (name, parse_column_type(t))
    for name, t in [
        ("id", "string"),
        ("at_ts", "timestamp"),
        ("n", "int"),
        ("big", "bigint"),
        ("d", "double"),
        ("f", "float"),
        ("ok", "boolean"),
        ("day_of", "date"),
        ("amt", "decimal(12,2)"),
        ("s", "string"),
        ("req", "string"),
    ]
)


def entry_bytes(e):
    if "base64" in e:
        return base64.b64decode(e["base64"])
    return e["line"].replace("@FILL@", "x" * e.get("fill", 0)).encode("utf-8")


class BadRecordCorpusTest(unittest.TestCase):
    def test_every_entry_has_its_verdict_and_reason(self):
        with open(CORPUS, encoding="utf-8") as f:
            records = json.load(f)["records"]
        self.assertGreaterEqual(sum(1 for e in records if "reason" in e), 40)
        for e in records:
            raw = entry_bytes(e)
            inputs = [raw] if "base64" in e else [raw, raw.decode("utf-8")]
            for line in inputs:
                with self.subTest(name=e["name"], given=type(line).__name__):
                    r = parse_line(line, 1, COLUMNS, {"req": "not nullable"}, ("id",))
                    self.assertIsNotNone(r)
                    self.assertEqual(r.reason, e.get("reason"))


if __name__ == "__main__":
    unittest.main()
