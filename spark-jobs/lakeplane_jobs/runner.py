"""Runs one parsed job on Spark: session, contract, phase, result JSON."""

from __future__ import annotations

import sys
from typing import Any, Dict

from .cli import GoldArgs, JobArgs, QuarantineArgs, QueryArgs, RollbackArgs, SavepointArgs, StageArgs, UpsertArgs, ValidateArgs
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


def run_job(args: Args) -> int:
    """Runs the phase and writes its result JSON; returns the process exit code.

    For the validate phase the result is the validation result, whether the suite passed or
    not: the step exits 0 and the gate reads ``success`` and the severities from it.
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
            if isinstance(args, StageArgs):
                from .stage_job import run_stage

                result = run_stage(spark, args, contract)
            elif isinstance(args, ValidateArgs):
                from .validate_job import run_validate

                result = run_validate(spark, args, contract)
            elif isinstance(args, QuarantineArgs):
                from .quarantine_job import run_quarantine

                result = run_quarantine(spark, args, contract)
            elif isinstance(args, UpsertArgs):
                from .upsert_job import run_upsert

                result = run_upsert(spark, args, contract)
            elif isinstance(args, RollbackArgs):
                from .rollback_job import run_rollback

                result = run_rollback(spark, args, contract)
            elif isinstance(args, QueryArgs):
                from .query_job import run_query

                result = run_query(spark, args, contract)
            elif isinstance(args, SavepointArgs):
                from .savepoint_job import run_savepoint

                result = run_savepoint(spark, args, contract)
            else:
                from .gold_job import run_gold

                result = run_gold(spark, args, contract)
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
        spark.stop()


def _write_error(spark: Any, args: Args, message: str) -> None:
    from . import spark_io

    try:
        spark_io.write_text(spark, args.result, to_json(error_result(args.phase, args.load_id, args.dataset, message)))
    except Exception as e:  # the step fails anyway; the log has the cause
        print(f"could not write the error result to {args.result}: {e}", file=sys.stderr)


def entry_point(parse, argv=None) -> int:
    """What a job script runs: parse its arguments (exit 2 naming the problem) and run it."""
    from .errors import JobArgumentError

    try:
        args = parse(sys.argv[1:] if argv is None else argv)
    except JobArgumentError as e:
        print(e, file=sys.stderr)
        return 2
    return run_job(args)
