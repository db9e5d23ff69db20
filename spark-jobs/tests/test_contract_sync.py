"""The JSON fixtures must say what datasets/*.yaml say (after defaults).

The YAML is converted with the repository's own `yaml` npm package (node_modules), the same
parser the deploy step uses; the test is skipped where node or the package is missing.
"""

import json
import os
import shutil
import subprocess
import unittest

from lakeplane_jobs.contract import apply_defaults, parse_contract

from .helpers import REPO, fixture_document

SCRIPT = (
    "import {parse} from 'yaml'; import fs from 'node:fs';"
    "process.stdout.write(JSON.stringify(parse(fs.readFileSync(process.argv[1], 'utf8'))));"
)


def yaml_to_json(path):
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(REPO, "node_modules", "yaml")):
        return None
    out = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT, path], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    if out.returncode != 0:
        raise AssertionError(f"node could not parse {path}: {out.stderr}")
    return json.loads(out.stdout)


class FixturesMatchYaml(unittest.TestCase):
    def test_fixtures_equal_the_dataset_yaml_after_defaults(self):
        for name in ("orders", "order_items"):
            with self.subTest(dataset=name):
                doc = yaml_to_json(os.path.join(REPO, "datasets", f"{name}.yaml"))
                if doc is None:
                    self.skipTest("node and the yaml package are not installed")
                self.assertEqual(apply_defaults(doc), apply_defaults(fixture_document(name)))
                self.assertEqual(parse_contract(doc), parse_contract(fixture_document(name)))


if __name__ == "__main__":
    unittest.main()
