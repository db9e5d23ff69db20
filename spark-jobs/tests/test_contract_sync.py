"""The JSON fixtures must be what `lakeplane datasets export` writes for datasets/*.yaml.

That export is the artifact the deploy step uploads to s3://<artifacts>/contracts/, so the
jobs are tested against the exact documents they will read. Needs Node 22 (npm test has it).
"""

import json
import os
import subprocess
import tempfile
import unittest

from lakeplane_jobs.contract import apply_defaults, parse_contract

from .helpers import REPO, fixture_document

def exported_contracts(out_dir):
    # The project's Node 22 (node@22 dev dependency), whatever the PATH says.
    node = os.path.join(REPO, "node_modules", ".bin", "node")
    if not os.path.exists(node):
        raise AssertionError("node_modules/.bin/node is missing: run `npm ci` first")
    out = subprocess.run(
        [node, os.path.join(REPO, "bin", "lakeplane.js"), "datasets", "export", out_dir],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        raise AssertionError(f"lakeplane datasets export failed: {out.stderr}")


class FixturesMatchYaml(unittest.TestCase):
    def test_fixtures_equal_the_exported_contracts(self):
        with tempfile.TemporaryDirectory() as out_dir:
            exported_contracts(out_dir)
            for name in ("orders", "order_items"):
                with self.subTest(dataset=name):
                    with open(os.path.join(out_dir, f"{name}.json"), encoding="utf-8") as f:
                        doc = json.load(f)
                    self.assertEqual(doc, fixture_document(name))
                    self.assertEqual(apply_defaults(doc), doc)
                    self.assertEqual(parse_contract(doc), parse_contract(fixture_document(name)))


if __name__ == "__main__":
    unittest.main()
