"""Runs one parsed job on Spark: session, contract, phase, result JSON."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Dict, Sequence, Tuple

from .cli import JobArgs
from .contract import Contract, load_contract_json
from .errors import ContractError, JobFailure
from .hudi import HUDI_SPARK_CONF
from .results import error_result, to_json

Args = JobArgs


def session_settings(args: Args) -> Dict[str, Any]:
    """Spark settings and whether the Hive (Glue) metastore is used, per phase."""
    if args.phase in ("stage", "validate", "quarantine"):
        return {"conf": {}, "hive": False}
    return {"conf": dict(HUDI_SPARK_CONF), "hive": True}


def check_dataset(args: Args, contract: Contract) -> None:
    if contract.name != args.dataset:
        raise JobFailure(f"--dataset {args.dataset} does not match the contract at {args.contract}, which is {contract.name}")


# phase -> (module, function) of the code that runs it on Spark.
JOB_RUNNERS: Dict[str, Tuple[str, str]] = {
    "stage": ("stage_job", "run_stage"),
    "validate": ("validate_job", "run_validate"),
    "quarantine": ("quarantine_job", "run_quarantine"),
    "upsert": ("upsert_job", "run_upsert"),
    "gold": ("gold_job", "run_gold"),
    "rollback": ("rollback_job", "run_rollback"),
    "savepoint": ("savepoint_job", "run_savepoint"),
    "query": ("query_job", "run_query"),
}


# Job script (the Python file of an EMR step) -> its parser in cli.py. Each script's main() is
# entry_point(<that parser>, argv) (a test reads the scripts to check), so a driver that runs a
# step by script name (the local step server, spark-jobs/local_engine.py) runs what
# spark-submit of that script would.
SCRIPT_PARSERS: Dict[str, str] = {
    "bronze_to_silver.py": "parse_bronze_to_silver",
    "validate_batch.py": "parse_validate_batch",
    "silver_to_gold.py": "parse_silver_to_gold",
    "rollback_table.py": "parse_rollback_table",
    "savepoint_table.py": "parse_savepoint_table",
    "query_table.py": "parse_query_table",
}


def script_parser(script: str) -> Callable[[Sequence[str]], Args]:
    """The argument parser of a job script named by its file name (``bronze_to_silver.py``)."""
    from . import cli
    from .errors import JobArgumentError

    name = SCRIPT_PARSERS.get(script)
    if name is None:
        raise JobArgumentError(f"{script!r} is not a job script; use one of {', '.join(SCRIPT_PARSERS)}")
    return getattr(cli, name)


def run_job(args: Args, stop_session: bool = True) -> int:
    """Runs the phase and writes its result JSON; returns the process exit code.

    For the validate phase the result is the validation result, whether the suite passed or
    not: the step exits 0 and the gate reads ``success`` and the severities from it.
    ``stop_session=False`` leaves the SparkSession running (and reuses one that runs already),
    for a driver that runs many steps: the local step server and the Spark test suite.
    """
    from . import spark_io

    settings = session_settings(args)
    spark = spark_io.build_session(
        f"lakeplane {args.phase} {args.dataset} {args.load_id}", settings["conf"], hive=settings["hive"]
    )
    try:
        try:
            contract = load_contract_json(spark_io.read_text(spark, args.contract), args.contract)
            check_dataset(args, contract)
            module, function = JOB_RUNNERS[args.phase]
            # Imported per job: the stage job must not load Hudi's helpers, nor validate GX.
            result = getattr(importlib.import_module(f".{module}", __package__), function)(spark, args, contract)
        except (JobFailure, ContractError) as e:
            _write_error(spark, args, str(e))
            print(f"lakeplane {args.phase} failed: {e}", file=sys.stderr)
            return 1
        except Exception as e:
            _write_error(spark, args, f"{type(e).__name__}: {e}")
            raise
        spark_io.write_text(spark, args.result, to_json(result))
        print(to_json(result), end="")
        return 0
    finally:
        if stop_session:
            spark.stop()


def _write_error(spark: Any, args: Args, message: str) -> None:
    from . import spark_io

    try:
        spark_io.write_text(spark, args.result, to_json(error_result(args.phase, args.load_id, args.dataset, message)))
    except Exception as e:  # the step fails anyway; the log has the cause
        print(f"could not write the error result to {args.result}: {e}", file=sys.stderr)


def entry_point(parse, argv=None, stop_session: bool = True) -> int:
    """What a job script runs: parse its arguments (exit 2 naming the problem) and run it."""
    from .errors import JobArgumentError

    try:
        args = parse(sys.argv[1:] if argv is None else argv)
    except JobArgumentError as e:
        print(e, file=sys.stderr)
        return 2
    return run_job(args, stop_session=stop_session)
