"""URI arithmetic the jobs share."""

from __future__ import annotations

import re
from typing import Optional

_SCHEME_ROOT = re.compile(r"[a-z0-9]+://[^/]+\Z")


def join_uri(prefix: str, *parts: str) -> str:
    """``prefix`` + ``/``-joined parts, with exactly one slash between them."""
    out = prefix.rstrip("/")
    for p in parts:
        out += "/" + p.strip("/")
    return out


def parent_uri(uri: str) -> str:
    """The prefix that contains ``uri`` (a key or a prefix), ending in ``/``."""
    trimmed = uri.rstrip("/")
    if _SCHEME_ROOT.match(trimmed):
        return trimmed + "/"
    return trimmed.rsplit("/", 1)[0] + "/"


def basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def scratch_input_uri(staging: str, load_id: str, input_uri: str, index: Optional[int] = None) -> str:
    """Where the stage phase copies an exact object version before reading it.

    Beside the staging prefix, never inside it (the stage writes nothing to staging when it
    fails), e.g. ``s3://a/runs/L/attempt-1/staging/`` -> ``s3://a/runs/L/attempt-1/_input/L/<file>``.
    The object of a manifest gets a folder of its own, its index in the manifest
    (``.../_input/L/<index>/<file>``): two objects of one load may share a file name (two
    versions of one key do). The file name is kept, so the reader picks the codec by its
    extension. The stage deletes the copies when it is done.
    """
    if index is None:
        return join_uri(parent_uri(staging), "_input", load_id, basename(input_uri))
    return join_uri(parent_uri(staging), "_input", load_id, str(index), basename(input_uri))


STAGED_BATCH_DIR = "staged-batch"


def staged_batch_uri(quarantine: str) -> str:
    """Where the quarantine phase writes the staged batch of a load attempt that failed the gate.

    ``s3://q/orders/L/attempt-2/`` -> ``s3://q/orders/L/attempt-2/staged-batch/``: beside the
    stage's bad-line files (which are directly under the quarantine prefix), never mixed with them.
    """
    return join_uri(quarantine, STAGED_BATCH_DIR) + "/"


def _canonical_prefix(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    if sep and scheme in ("s3a", "s3n"):
        scheme = "s3"  # the same objects under another Hadoop connector's name
    return f"{scheme}{sep}{rest.rstrip('/')}/"


def prefixes_overlap(a: str, b: str) -> bool:
    """Whether one prefix is (or is inside) the other, so deleting ``a`` could delete part of ``b``."""
    ca, cb = _canonical_prefix(a), _canonical_prefix(b)
    return ca.startswith(cb) or cb.startswith(ca)
