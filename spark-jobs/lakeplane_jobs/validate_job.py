"""The validate phase on Spark: the contract's expectations over the staged batch, with GX Core 1.x.

Great Expectations and PySpark are imported inside the functions. The GX Core 1.x flow (the
cluster installs great_expectations==expectations.GX_VERSION):

    context = gx.get_context(mode="ephemeral")
    batch_definition = (context.data_sources.add_spark(name=...)
                        .add_dataframe_asset(name=...)
                        .add_batch_definition_whole_dataframe(name=...))
    suite = context.suites.add(gx.ExpectationSuite(name=..., expectations=[...]))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=..., data=batch_definition, suite=suite))
    result = validation.run(batch_parameters={"dataframe": staged}, result_format=..., run_id=...)
    result.to_json_dict()   # the ExpectationSuiteValidationResult JSON written to --result

A failed expectation is not a failed step: the job returns the result either way and the gate
decides from ``success`` and each failed result's ``expectation_config.meta.lakeplane.severity``.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any, Dict, Mapping, Optional

from .cli import ValidateArgs
from .contract import Contract
from .errors import JobFailure
from .expectations import (
    GX_VERSION,
    RESULT_FORMAT,
    GxExpectation,
    build_gx_expectations,
    empty_result_document,
    parse_expectations,
    result_document,
)

DATA_SOURCE = "lakeplane_staging"
BATCH_DEFINITION = "staged_batch"


def import_gx() -> Any:
    """``great_expectations``, with analytics off; a JobFailure saying how to install it otherwise."""
    # No usage analytics from the cluster (GX reads this when the context is created).
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    try:
        import great_expectations as gx
    except ImportError as e:
        raise JobFailure(
            f"great_expectations is not installed for the driver's python3 ({e}); install "
            f"great_expectations=={GX_VERSION} on every node in a bootstrap action (see spark-jobs/README.md)"
        ) from None
    version = str(getattr(gx, "__version__", ""))
    if not version.startswith("1."):
        raise JobFailure(
            f"the validate step needs GX Core 1.x (great_expectations=={GX_VERSION}); "
            f"the driver has great_expectations {version or '(unknown version)'}"
        )
    return gx


def use_utc() -> None:
    """Run the driver's Python in UTC: PySpark turns a TimestampType value (the column max the
    freshness check compares) into a naive datetime in the process's local time zone."""
    os.environ["TZ"] = "UTC"
    if hasattr(time, "tzset"):
        time.tzset()


def column_types(df: Any) -> Dict[str, str]:
    """Lower-cased column name -> Spark type name (``timestamp``, ``decimal(12,2)``, ...)."""
    return {f.name.lower(): f.dataType.simpleString() for f in df.schema.fields}


def instantiate(gx: Any, expectation: GxExpectation) -> Any:
    """``gx.expectations.<class>(**kwargs)``; a JobFailure naming the contract entry if GX refuses it."""
    index = expectation.meta["lakeplane"]["index"]
    cls = getattr(gx.expectations, expectation.class_name, None)
    if cls is None:
        raise JobFailure(
            f"expectations[{index}]: great_expectations {getattr(gx, '__version__', '')} "
            f"has no {expectation.class_name}"
        )
    try:
        return cls(**expectation.constructor_kwargs())
    except Exception as e:  # pydantic's ValidationError, GX's InvalidExpectationConfigurationError
        raise JobFailure(f"expectations[{index}]: GX refused {expectation.class_name}: {e}") from None


def run_validate(
    spark: Any,
    args: ValidateArgs,
    contract: Contract,
    now: Optional[dt.datetime] = None,
    gx: Any = None,
) -> Mapping[str, Any]:
    """Validates ``--staging`` against the contract's expectations; returns the result document."""
    specs = parse_expectations(contract.document, args.contract)
    now = now or dt.datetime.now(dt.timezone.utc)
    if not specs:
        # Nothing to check: the same shape GX gives an empty suite, without needing GX.
        return result_document(empty_result_document(contract.name), args.load_id, contract.name, args.attempt, now)

    gx = gx or import_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    use_utc()
    staged = spark.read.parquet(args.staging)
    expectations = build_gx_expectations(specs, now, column_types(staged), args.contract)

    context = gx.get_context(mode="ephemeral")
    data_source = context.data_sources.add_spark(name=DATA_SOURCE)
    asset = data_source.add_dataframe_asset(name=contract.name)
    batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
    suite = context.suites.add(
        gx.ExpectationSuite(name=contract.name, expectations=[instantiate(gx, e) for e in expectations])
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=f"{contract.name}-{args.load_id}-attempt-{args.attempt}", data=batch_definition, suite=suite
        )
    )
    result = validation.run(
        batch_parameters={"dataframe": staged},
        result_format=dict(RESULT_FORMAT),
        run_id=RunIdentifier(run_name=f"{args.load_id}-attempt-{args.attempt}", run_time=now),
    )
    return result_document(result.to_json_dict(), args.load_id, contract.name, args.attempt, now)
