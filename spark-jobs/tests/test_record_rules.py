"""The record rules of casting.py against the shared vectors that the DuckDB engine is held to too."""

import datetime as dt
import json
import os
import unittest

from lakeplane_jobs.casting import cast_value
from lakeplane_jobs.coltypes import parse_column_type as parse_type
from lakeplane_jobs.errors import CastError

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "parity", "record-rules.json")


def canonical(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or isinstance(value, float):
        return value
    return str(value)


class RecordRulesTest(unittest.TestCase):
    def test_every_vector(self):
        with open(VECTORS, encoding="utf-8") as f:
            vectors = json.load(f)["vectors"]
        self.assertGreater(len(vectors), 40)
        for v in vectors:
            with self.subTest(type=v["type"], text=v["text"]):
                ctype = parse_type(v["type"])
                if "reason" in v:
                    with self.assertRaises(CastError) as caught:
                        cast_value(v["text"], ctype)
                    self.assertEqual(str(caught.exception), v["reason"])
                else:
                    self.assertEqual(canonical(cast_value(v["text"], ctype)), v["value"])


if __name__ == "__main__":
    unittest.main()
