"""Builds lakeplane_jobs.zip, the --py-files archive of the Spark jobs.

    python3 spark-jobs/build_zip.py [output path]   (default: spark-jobs/dist/lakeplane_jobs.zip)

The archive holds lakeplane_jobs/*.py at its root (so that ``import lakeplane_jobs`` works
from it) with fixed timestamps, so the same sources give the same bytes.
"""

import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "lakeplane_jobs"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def build(output: str) -> str:
    src = os.path.join(HERE, PACKAGE)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    names = sorted(n for n in os.listdir(src) if n.endswith(".py"))
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in names:
            info = zipfile.ZipInfo(f"{PACKAGE}/{n}", FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(os.path.join(src, n), "rb") as f:
                zf.writestr(info, f.read())
    return output


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "dist", f"{PACKAGE}.zip")
    print(build(out))
