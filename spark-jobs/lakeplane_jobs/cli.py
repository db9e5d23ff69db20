"""Command lines of the jobs (argparse), with errors raised as JobArgumentError."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, fields
from typing import List, Optional, Sequence, Union

from .errors import JobArgumentError
from .hudi import DEFAULT_HUDI_LINE, HUDI_LINES
from .paths import prefixes_overlap, staged_batch_uri

DATASET = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
LOAD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
DATABASE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}\Z")
URI = re.compile(r"(s3|s3a|hdfs)://[^/\s]+(/\S*)?\Z|file:/\S*\Z")
PHASES = ("stage", "upsert", "quarantine")


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise JobArgumentError(f"{self.prog}: {message}")


def _checked(pattern: "re.Pattern[str]", what: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}")
        return value

    return check


dataset_name = _checked(DATASET, "a dataset name (lower case letters, digits, underscore)")
load_id = _checked(LOAD_ID, "a load id (letters, digits, '.', '_', '-'; at most 128)")
database = _checked(DATABASE, "a Glue database name")
uri = _checked(URI, "an s3://bucket/... URI")


def object_uri(value: str) -> str:
    uri(value)
    if value.endswith("/") or re.match(r"[a-z0-9]+://[^/]+/?\Z", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not the URI of one object")
    return value


def prefix_uri(value: str) -> str:
    uri(value)
    return value if value.endswith("/") else value + "/"


def attempt_number(value: str) -> int:
    try:
        n = int(value, 10)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not an attempt number (1 for the first run, 2, ...)")
    return n


@dataclass(frozen=True)
class StageArgs:
    dataset: str
    contract: str
    load_id: str
    result: str
    input: Optional[str]
    """One Bronze object (a load from before manifests); exactly one of ``input`` and ``manifest``."""
    input_version: Optional[str]
    staging: str
    quarantine: str
    manifest: Optional[str] = None
    """The load's manifest (``s3://<artifacts>/runs/<load>/manifest.json``): the object versions it reads."""
    phase: str = "stage"


@dataclass(frozen=True)
class UpsertArgs:
    dataset: str
    contract: str
    load_id: str
    result: str
    staging: str
    silver_path: str
    database: str
    hudi_version: str
    phase: str = "upsert"


@dataclass(frozen=True)
class QuarantineArgs:
    dataset: str
    contract: str
    load_id: str
    attempt: int
    result: str
    staging: str
    quarantine: str
    phase: str = "quarantine"


@dataclass(frozen=True)
class ValidateArgs:
    dataset: str
    contract: str
    load_id: str
    attempt: int
    result: str
    staging: str
    phase: str = "validate"


@dataclass(frozen=True)
class GoldArgs:
    dataset: str
    contract: str
    load_id: str
    result: str
    gold_path: str
    silver_database: str
    gold_database: str
    phase: str = "gold"


@dataclass(frozen=True)
class RollbackArgs:
    dataset: str
    contract: str
    load_id: str  # the rollback's id
    attempt: int
    result: str
    silver_path: str
    database: str
    to_instant: Optional[str]
    savepoint: Optional[str]
    dry_run: bool = False
    phase: str = "rollback"


@dataclass(frozen=True)
class SavepointArgs:
    dataset: str
    contract: str
    load_id: str
    attempt: int
    result: str
    upsert_result: str
    database: str
    keep: int
    phase: str = "savepoint"


@dataclass(frozen=True)
class QueryArgs:
    dataset: str
    contract: str
    load_id: str  # the query's id
    attempt: int
    result: str
    database: str
    gold_database: str
    as_of: str
    sql: str
    limit: int
    phase: str = "query"


def _from_namespace(cls, ns: argparse.Namespace):
    """The args dataclass from the parsed namespace: each field is the option of the same name
    (``--load-id`` is ``load_id``); ``phase`` keeps the class's own value."""
    return cls(**{f.name: getattr(ns, f.name) for f in fields(cls) if f.name != "phase"})


def _common(p: argparse.ArgumentParser, attempt_required: bool = False) -> None:
    p.add_argument("--dataset", required=True, type=dataset_name, help="dataset name (the contract's name)")
    p.add_argument("--contract", required=True, type=object_uri, help="URI of the contract JSON")
    p.add_argument("--load-id", required=True, type=load_id, help="id of this load")
    p.add_argument("--result", required=True, type=object_uri, help="URI the result JSON is written to")
    if attempt_required:
        p.add_argument("--attempt", required=True, type=attempt_number, help="attempt number of the load (1 = first run)")
        return
    # The attempt number is already part of the result and staging URIs; the local engine reads
    # it from here. Accepted so the same step arguments run in both places.
    p.add_argument("--attempt", type=int, default=1, help="attempt number of the load (1 = first run)")


def _phase_of(argv: Sequence[str]) -> str:
    p = _Parser(prog="bronze_to_silver.py", add_help=False)
    p.add_argument("--phase", required=True, choices=PHASES)
    known, _ = p.parse_known_args(list(argv))
    return known.phase


def stage_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bronze_to_silver.py --phase stage",
        description="Type, check and dedupe the Bronze objects of one load (its manifest, or one --input object)",
    )
    p.add_argument("--phase", required=True, choices=["stage"])
    _common(p)
    p.add_argument("--manifest", default=None, type=object_uri, help="URI of the load's manifest JSON (its object versions)")
    p.add_argument("--input", default=None, type=object_uri, help="URI of one Bronze NDJSON object (instead of --manifest)")
    p.add_argument("--input-version", default=None, help="S3 version id of the --input object to read")
    p.add_argument("--staging", required=True, type=prefix_uri, help="prefix the staged Parquet is written to")
    p.add_argument("--quarantine", required=True, type=prefix_uri, help="prefix bad records are written to")
    return p


def upsert_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bronze_to_silver.py --phase upsert", description="Upsert the staged rows into Silver (Hudi)")
    p.add_argument("--phase", required=True, choices=["upsert"])
    _common(p)
    p.add_argument("--staging", required=True, type=prefix_uri, help="prefix of the staged Parquet")
    p.add_argument("--silver-path", required=True, type=prefix_uri, help="base path of the Hudi table")
    p.add_argument("--database", required=True, type=database, help="Glue database of the Silver zone")
    p.add_argument(
        "--hudi-version",
        default=DEFAULT_HUDI_LINE,
        choices=HUDI_LINES,
        help=f"Hudi line of the cluster (default {DEFAULT_HUDI_LINE}: EMR 7.11 and later)",
    )
    return p


def quarantine_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bronze_to_silver.py --phase quarantine",
        description="Move the staged batch of a load attempt that failed the quality gate to quarantine",
    )
    p.add_argument("--phase", required=True, choices=["quarantine"])
    _common(p, attempt_required=True)
    p.add_argument("--staging", required=True, type=prefix_uri, help="prefix of the staged Parquet (deleted once moved)")
    p.add_argument(
        "--quarantine",
        required=True,
        type=prefix_uri,
        help="quarantine prefix of the attempt; the batch is written to staged-batch/ under it",
    )
    return p


def gold_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="silver_to_gold.py", description="Rebuild the Gold tables of a dataset")
    _common(p)
    p.add_argument("--gold-path", required=True, type=prefix_uri, help="prefix of the Gold tables")
    p.add_argument("--silver-database", required=True, type=database, help="Glue database of the Silver zone")
    p.add_argument("--gold-database", required=True, type=database, help="Glue database of the Gold zone")
    return p


def validate_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="validate_batch.py",
        description="Validate the staged batch of one load with Great Expectations; write the validation result JSON",
    )
    _common(p, attempt_required=True)
    p.add_argument("--staging", required=True, type=prefix_uri, help="prefix of the staged Parquet to validate")
    return p


def hudi_instant(value: str) -> str:
    if not re.match(r"\d{14,17}\Z", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a Hudi instant (14 to 17 digits, e.g. 20250102030405678)")
    return value


def rollback_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="rollback_table.py",
        description="Return the Silver Hudi table of a dataset to an earlier instant (Hudi SQL procedures)",
    )
    _common(p, attempt_required=True)
    p.add_argument("--silver-path", required=True, type=prefix_uri, help="base path of the Hudi table")
    p.add_argument("--database", required=True, type=database, help="Glue database of the Silver zone")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--to-instant", type=hudi_instant, help="commit instant to return to (state right after it)")
    target.add_argument("--savepoint", type=hudi_instant, help="savepoint instant to restore")
    p.add_argument("--dry-run", action="store_true", help="say what would be rolled back; change nothing")
    return p


def parse_rollback_table(argv: Sequence[str]) -> RollbackArgs:
    ns = rollback_parser().parse_args(list(argv))
    return _from_namespace(RollbackArgs, ns)


def keep_count(value: str) -> int:
    try:
        n = int(value, 10)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive count")
    return n


def savepoint_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="savepoint_table.py",
        description="Savepoint the Silver commit of a load; keep the newest --keep savepoints",
    )
    _common(p, attempt_required=True)
    p.add_argument("--upsert-result", required=True, type=object_uri, help="URI of the upsert step's result JSON")
    p.add_argument("--database", required=True, type=database, help="Glue database of the Silver zone")
    p.add_argument("--keep", required=True, type=keep_count, help="savepoints to keep (older ones are deleted)")
    return p


def parse_savepoint_table(argv: Sequence[str]) -> SavepointArgs:
    ns = savepoint_parser().parse_args(list(argv))
    return _from_namespace(SavepointArgs, ns)


def query_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="query_table.py", description="One SELECT over a Silver table as of a commit (time travel)")
    _common(p, attempt_required=True)
    p.add_argument("--database", required=True, type=database, help="Glue database of the Silver zone")
    p.add_argument("--gold-database", required=True, type=database, help="Glue database of the Gold zone")
    p.add_argument("--as-of", required=True, type=hudi_instant, help="the commit instant to read the table at")
    p.add_argument("--sql", required=True, help="the SELECT; silver.<dataset> reads the table as of --as-of")
    p.add_argument("--limit", required=True, type=keep_count, help="most rows returned")
    return p


def parse_query_table(argv: Sequence[str]) -> QueryArgs:
    ns = query_parser().parse_args(list(argv))
    return _from_namespace(QueryArgs, ns)


def _check_stage_inputs(ns: argparse.Namespace) -> None:
    """Exactly one of ``--manifest`` and ``--input``; ``--input-version`` only with ``--input``."""
    prog = "bronze_to_silver.py --phase stage"
    if ns.manifest is not None and ns.input is not None:
        raise JobArgumentError(
            f"{prog}: --manifest and --input exclude each other: a load reads the objects of its manifest, "
            "or the one --input object of a load from before manifests"
        )
    if ns.manifest is None and ns.input is None:
        raise JobArgumentError(
            f"{prog}: one of --manifest (the load's manifest.json) and --input (one Bronze object) is required"
        )
    if ns.input_version is not None and ns.input is None:
        raise JobArgumentError(
            f"{prog}: --input-version goes with --input only; a manifest names each object's version itself"
        )


def parse_bronze_to_silver(argv: Sequence[str]) -> Union[StageArgs, UpsertArgs, QuarantineArgs]:
    argv = list(argv)
    phase = _phase_of(argv)
    if phase == "stage":
        ns = stage_parser().parse_args(argv)
        _check_stage_inputs(ns)
        if ns.input_version is not None:
            if not ns.input_version.strip():
                raise JobArgumentError("bronze_to_silver.py --phase stage: --input-version must not be empty")
            if not ns.input.startswith("s3://"):
                raise JobArgumentError("bronze_to_silver.py --phase stage: --input-version needs an s3:// --input")
        return _from_namespace(StageArgs, ns)
    if phase == "quarantine":
        ns = quarantine_parser().parse_args(argv)
        location = staged_batch_uri(ns.quarantine)
        if prefixes_overlap(ns.staging, location):
            raise JobArgumentError(
                f"bronze_to_silver.py --phase quarantine: --staging {ns.staging} overlaps the quarantine location "
                f"{location}; the staging prefix is deleted once the batch is moved"
            )
        return _from_namespace(QuarantineArgs, ns)
    ns = upsert_parser().parse_args(argv)
    return _from_namespace(UpsertArgs, ns)


def parse_silver_to_gold(argv: Sequence[str]) -> GoldArgs:
    ns = gold_parser().parse_args(list(argv))
    return _from_namespace(GoldArgs, ns)


def parse_validate_batch(argv: Sequence[str]) -> ValidateArgs:
    ns = validate_parser().parse_args(list(argv))
    return _from_namespace(ValidateArgs, ns)


JobArgs = Union[StageArgs, UpsertArgs, QuarantineArgs, GoldArgs, ValidateArgs, RollbackArgs, SavepointArgs, QueryArgs]


def _with_attempt(args: Union[QuarantineArgs, ValidateArgs, RollbackArgs, SavepointArgs, QueryArgs]) -> List[str]:
    """The arguments every job with an attempt number starts with, in planLoad's order."""
    return [
        "--dataset", args.dataset,
        "--contract", args.contract,
        "--load-id", args.load_id,
        "--attempt", str(args.attempt),
        "--result", args.result,
    ]


def job_argv(args: JobArgs) -> List[str]:
    """The command line that parses back into ``args`` (what an EMR step passes after the script)."""
    out: List[str] = []
    if isinstance(args, QueryArgs):
        return _with_attempt(args) + [
            "--database", args.database,
            "--gold-database", args.gold_database,
            "--as-of", args.as_of,
            "--sql", args.sql,
            "--limit", str(args.limit),
        ]
    if isinstance(args, SavepointArgs):
        return _with_attempt(args) + [
            "--upsert-result", args.upsert_result,
            "--database", args.database,
            "--keep", str(args.keep),
        ]
    if isinstance(args, RollbackArgs):
        out = _with_attempt(args) + ["--silver-path", args.silver_path, "--database", args.database]
        out += ["--to-instant", args.to_instant] if args.to_instant is not None else ["--savepoint", str(args.savepoint)]
        return out + (["--dry-run"] if args.dry_run else [])
    if isinstance(args, QuarantineArgs):
        return ["--phase", args.phase] + _with_attempt(args) + ["--staging", args.staging, "--quarantine", args.quarantine]
    if isinstance(args, ValidateArgs):
        return _with_attempt(args) + ["--staging", args.staging]
    if isinstance(args, (StageArgs, UpsertArgs)):
        out += ["--phase", args.phase]
    out += ["--dataset", args.dataset, "--contract", args.contract, "--load-id", args.load_id, "--result", args.result]
    if isinstance(args, StageArgs):
        if args.manifest is not None:
            out += ["--manifest", args.manifest]
        else:
            out += ["--input", str(args.input)]
            if args.input_version:
                out += ["--input-version", args.input_version]
        out += ["--staging", args.staging, "--quarantine", args.quarantine]
    elif isinstance(args, UpsertArgs):
        out += ["--staging", args.staging, "--silver-path", args.silver_path, "--database", args.database]
        if args.hudi_version != DEFAULT_HUDI_LINE:
            out += ["--hudi-version", args.hudi_version]
    else:
        out += ["--gold-path", args.gold_path, "--silver-database", args.silver_database]
        out += ["--gold-database", args.gold_database]
    return out
