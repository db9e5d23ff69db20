"""The contract's data-quality expectations, as Great Expectations (GX Core 1.x) expectations.

A contract entry is ``{"type": <GX snake-case type>, "kwargs": {...}, "severity": "fail"|"warn",
"description"?: str}`` (shared/core/quality/expectations.ts declares the same schema).
:func:`parse_expectations` checks the entries, :func:`to_gx` maps one to the GX class name and the
keyword arguments its constructor takes; the validate job (validate_job.py) only instantiates
``great_expectations.expectations.<class name>(**kwargs)``. Everything here is pure Python.

Two entries are not plain pass-throughs:

* ``expect_column_values_to_be_of_type`` names DuckDB types (``VARCHAR``, ``BIGINT``, ...); on
  Spark, GX compares the column's DataType with the ``pyspark.sql.types`` class named by
  ``type_``, so the name is mapped (``VARCHAR`` -> ``StringType``, ...).
* ``expect_column_max_to_be_between`` with ``max_age_seconds`` is freshness: GX's
  ExpectColumnMaxToBeBetween with ``min_value`` = validation time - ``max_age_seconds``.

Each GX expectation carries ``meta = {"lakeplane": {"index": i, "severity": s}}`` (``i`` = the
entry's position in the contract's ``expectations`` list), which GX copies into
``results[].expectation_config.meta`` of the validation result: that is where the gate reads the
severity of a failed expectation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .errors import ContractError

# The GX Core release the cluster installs (README, "What the cluster needs"); the validate job
# uses only GX 1.x API that is the same throughout 1.x. 1.8.x is the last line that supports
# Python 3.9, the python3 of EMR 7 (Python 3.9 support was dropped for 1.9.0).
GX_VERSION = "1.8.1"

SEVERITIES = ("fail", "warn")
DEFAULT_SEVERITY = "fail"

# Passed to ValidationDefinition.run(result_format=...): SUMMARY results carry element_count,
# unexpected_count / unexpected_percent, partial_unexpected_list (at most 20 values) and, for
# aggregate expectations, observed_value.
PARTIAL_UNEXPECTED_COUNT = 20
RESULT_FORMAT: Dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT}

# Contract type -> GX 1.x expectation class (great_expectations.expectations.<name>).
GX_CLASS_NAMES: Dict[str, str] = {
    "expect_column_to_exist": "ExpectColumnToExist",
    "expect_column_values_to_not_be_null": "ExpectColumnValuesToNotBeNull",
    "expect_column_values_to_be_unique": "ExpectColumnValuesToBeUnique",
    "expect_compound_columns_to_be_unique": "ExpectCompoundColumnsToBeUnique",
    "expect_column_values_to_be_between": "ExpectColumnValuesToBeBetween",
    "expect_column_values_to_be_in_set": "ExpectColumnValuesToBeInSet",
    "expect_column_values_to_match_regex": "ExpectColumnValuesToMatchRegex",
    "expect_column_value_lengths_to_be_between": "ExpectColumnValueLengthsToBeBetween",
    "expect_table_row_count_to_be_between": "ExpectTableRowCountToBeBetween",
    "expect_column_values_to_be_of_type": "ExpectColumnValuesToBeOfType",
    "expect_column_max_to_be_between": "ExpectColumnMaxToBeBetween",
}
EXPECTATION_TYPES: Tuple[str, ...] = tuple(GX_CLASS_NAMES)

# DuckDB type names a contract may use in expect_column_values_to_be_of_type -> the
# pyspark.sql.types class GX on Spark checks the column's type against (DecimalType matches
# every precision and scale).
SPARK_TYPE_NAMES: Dict[str, str] = {
    "VARCHAR": "StringType",
    "INTEGER": "IntegerType",
    "BIGINT": "LongType",
    "DOUBLE": "DoubleType",
    "FLOAT": "FloatType",
    "BOOLEAN": "BooleanType",
    "DATE": "DateType",
    "TIMESTAMP": "TimestampType",
    "DECIMAL": "DecimalType",
}

# The kwargs each type takes: (required, optional), as shared/core/quality/expectations.ts.
_KWARGS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "expect_column_to_exist": (("column",), ()),
    "expect_column_values_to_not_be_null": (("column",), ("mostly",)),
    "expect_column_values_to_be_unique": (("column",), ("mostly",)),
    "expect_compound_columns_to_be_unique": (("column_list",), ("mostly",)),
    "expect_column_values_to_be_between": (
        ("column",),
        ("min_value", "max_value", "strict_min", "strict_max", "mostly"),
    ),
    "expect_column_values_to_be_in_set": (("column", "value_set"), ("mostly",)),
    "expect_column_values_to_match_regex": (("column", "regex"), ("mostly",)),
    "expect_column_value_lengths_to_be_between": (("column",), ("min_value", "max_value", "mostly")),
    "expect_table_row_count_to_be_between": ((), ("min_value", "max_value")),
    "expect_column_values_to_be_of_type": (("column", "type_"), ()),
    "expect_column_max_to_be_between": (("column", "max_age_seconds"), ()),
}
_BOUNDED = {
    "expect_column_values_to_be_between",
    "expect_column_value_lengths_to_be_between",
    "expect_table_row_count_to_be_between",
}
_COUNT_BOUNDS = {"expect_column_value_lengths_to_be_between", "expect_table_row_count_to_be_between"}

# Spark SQL type names (DataType.simpleString) a freshness column may have.
_TIMESTAMP_TYPES = ("timestamp", "timestamp_ntz")
_DATE_TYPES = ("date",)


@dataclass(frozen=True)
class ExpectationSpec:
    """One checked contract entry; ``index`` is its position in the contract's list."""

    index: int
    type: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    severity: str = DEFAULT_SEVERITY
    description: Optional[str] = None


@dataclass(frozen=True)
class GxExpectation:
    """What to instantiate: ``great_expectations.expectations.<class_name>(**constructor_kwargs())``."""

    class_name: str
    kwargs: Mapping[str, Any]
    meta: Mapping[str, Any]
    description: Optional[str] = None

    def constructor_kwargs(self) -> Dict[str, Any]:
        out: Dict[str, Any] = dict(self.kwargs)
        out["meta"] = {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.meta.items()}
        if self.description:
            out["description"] = self.description
        return out


def gx_class_name(expectation_type: str) -> str:
    """The GX 1.x class of a contract type, e.g. ``ExpectColumnValuesToNotBeNull``."""
    try:
        return GX_CLASS_NAMES[expectation_type]
    except KeyError:
        raise ValueError(f"unsupported expectation type {expectation_type!r}") from None


def spark_type_name(duckdb_type: str) -> str:
    """The ``pyspark.sql.types`` class name for a DuckDB type name, e.g. ``BIGINT`` -> ``LongType``."""
    try:
        return SPARK_TYPE_NAMES[duckdb_type]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown type_ {duckdb_type!r}; use one of {', '.join(SPARK_TYPE_NAMES)}"
        ) from None


def lakeplane_meta(index: int, severity: str) -> Dict[str, Any]:
    """The ``meta`` of the GX expectation built from contract entry ``index``."""
    return {"lakeplane": {"index": index, "severity": severity}}


def _utc(now: dt.datetime) -> dt.datetime:
    """``now`` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    if now.tzinfo is None:
        return now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(dt.timezone.utc)


def freshness_min_value(now: dt.datetime, max_age_seconds: int, column_type: Optional[str] = None) -> Any:
    """The ``min_value`` of the freshness check: ``now - max_age_seconds``, to whole seconds.

    For a ``date`` column, the date of that instant (in UTC); otherwise a naive UTC datetime,
    which is how PySpark hands back the column's max when the driver runs in UTC (the validate
    job sees to that). ``column_type`` is the column's Spark type name (None when unknown).
    """
    oldest = _utc(now).replace(microsecond=0) - dt.timedelta(seconds=max_age_seconds)
    if column_type in _DATE_TYPES:
        return oldest.date()
    return oldest.replace(tzinfo=None)


def to_gx(spec: ExpectationSpec, now: dt.datetime, column_types: Optional[Mapping[str, str]] = None) -> GxExpectation:
    """The GX expectation for one checked entry.

    ``now`` is the validation time (freshness is relative to it); ``column_types`` maps the
    batch's lower-cased column names to their Spark type names, used to give the freshness
    bound the column's kind. Raises ValueError when the entry cannot be expressed for that
    batch (a freshness column that is neither a date nor a timestamp).
    """
    kwargs: Dict[str, Any] = {k: v for k, v in spec.kwargs.items() if v is not None}
    if spec.type == "expect_column_values_to_be_of_type":
        kwargs["type_"] = spark_type_name(kwargs["type_"])
    elif spec.type == "expect_column_max_to_be_between":
        column = kwargs["column"]
        column_type = (column_types or {}).get(column.lower())
        if column_type is not None and column_type not in _TIMESTAMP_TYPES + _DATE_TYPES:
            raise ValueError(
                f"freshness (max_age_seconds) needs a date or timestamp column; {column} is {column_type}"
            )
        kwargs = {"column": column, "min_value": freshness_min_value(now, kwargs["max_age_seconds"], column_type)}
    return GxExpectation(
        class_name=gx_class_name(spec.type),
        kwargs=kwargs,
        meta=lakeplane_meta(spec.index, spec.severity),
        description=spec.description,
    )


def build_gx_expectations(
    specs: Sequence[ExpectationSpec],
    now: dt.datetime,
    column_types: Optional[Mapping[str, str]] = None,
    source: str = "<contract>",
) -> List[GxExpectation]:
    """:func:`to_gx` for every entry; a ContractError lists every entry that cannot be built."""
    out: List[GxExpectation] = []
    issues: List[Tuple[str, str]] = []
    for spec in specs:
        try:
            out.append(to_gx(spec, now, column_types))
        except ValueError as e:
            issues.append((f"expectations[{spec.index}]", str(e)))
    if issues:
        raise ContractError(source, issues)
    return out


# --- checking the contract entries ---


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v not in (float("inf"), float("-inf"))


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _nonempty_text(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _check_kwarg(etype: str, name: str, value: Any) -> Optional[str]:
    """Why ``value`` is not acceptable for kwarg ``name`` of ``etype`` (None when it is)."""
    if name == "column":
        return None if _nonempty_text(value) else f"must be a non-empty string, got {value!r}"
    if name == "column_list":
        if (
            not isinstance(value, list)
            or len(value) < 2
            or not all(_nonempty_text(c) for c in value)
        ):
            return f"must be a list of at least 2 column names, got {value!r}"
        lowered = [c.lower() for c in value]
        if len(set(lowered)) != len(lowered):
            return f"names a column twice: {value!r}"
        return None
    if name == "mostly":
        return None if _is_number(value) and 0 < value <= 1 else f"must be a number in (0, 1], got {value!r}"
    if name in ("strict_min", "strict_max"):
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if name in ("min_value", "max_value"):
        if value is None:
            return None
        if etype in _COUNT_BOUNDS:
            return None if _is_count(value) else f"must be a non-negative integer or null, got {value!r}"
        return None if _is_number(value) else f"must be a number or null, got {value!r}"
    if name == "value_set":
        if not isinstance(value, list) or not value:
            return f"must be a non-empty list, got {value!r}"
        bad = [v for v in value if not (isinstance(v, (str, bool)) or _is_number(v))]
        return f"values must be strings, numbers or booleans, got {bad[0]!r}" if bad else None
    if name == "regex":
        return None if isinstance(value, str) and value != "" else f"must be a non-empty string, got {value!r}"
    if name == "type_":
        return None if value in SPARK_TYPE_NAMES else f"must be one of {', '.join(SPARK_TYPE_NAMES)}, got {value!r}"
    if name == "max_age_seconds":
        return None if _is_count(value) and value > 0 else f"must be a positive integer (seconds), got {value!r}"
    return "is not supported"  # pragma: no cover - every name in _KWARGS is handled above


def _check_entry(i: int, entry: Any, issues: List[Tuple[str, str]]) -> Optional[ExpectationSpec]:
    path = f"expectations[{i}]"
    if not isinstance(entry, dict):
        issues.append((path, "must be an object with type, kwargs and severity"))
        return None
    unknown = sorted(set(entry) - {"type", "kwargs", "severity", "description"})
    for key in unknown:
        issues.append((f"{path}.{key}", "is not a field of an expectation (type, kwargs, severity, description)"))
    etype = entry.get("type")
    if etype not in GX_CLASS_NAMES:
        issues.append((f"{path}.type", f"unsupported expectation type {etype!r}; use one of {', '.join(EXPECTATION_TYPES)}"))
        return None
    severity = entry.get("severity", DEFAULT_SEVERITY)
    if severity not in SEVERITIES:
        issues.append((f"{path}.severity", f'must be "fail" or "warn", got {severity!r}'))
    description = entry.get("description")
    if description is not None and not isinstance(description, str):
        issues.append((f"{path}.description", f"must be a string, got {description!r}"))
        description = None
    kwargs = entry.get("kwargs", {})
    if not isinstance(kwargs, dict):
        issues.append((f"{path}.kwargs", "must be an object"))
        return None
    before = len(issues)
    required, optional = _KWARGS[etype]
    for name in required:
        if name not in kwargs or kwargs[name] is None:
            issues.append((f"{path}.kwargs.{name}", f"is required for {etype}"))
    for name in sorted(kwargs):
        if name not in required and name not in optional:
            allowed = ", ".join(required + optional)
            issues.append((f"{path}.kwargs.{name}", f"is not an argument of {etype} (it takes {allowed})"))
        elif kwargs[name] is not None or name not in required:
            problem = _check_kwarg(etype, name, kwargs[name])
            if problem:
                issues.append((f"{path}.kwargs.{name}", problem))
    if etype in _BOUNDED and len(issues) == before:
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        if lo is None and hi is None:
            issues.append((f"{path}.kwargs", f"{etype} needs min_value or max_value"))
        elif lo is not None and hi is not None and lo > hi:
            issues.append((f"{path}.kwargs", f"min_value {lo!r} is greater than max_value {hi!r}"))
    if len(issues) != before:
        return None
    return ExpectationSpec(i, etype, dict(kwargs), severity if severity in SEVERITIES else DEFAULT_SEVERITY, description)


def parse_expectations(document: Mapping[str, Any], source: str = "<contract>") -> List[ExpectationSpec]:
    """The checked ``expectations`` of a contract document ([] when it has none).

    Raises ContractError listing every problem, with paths like ``expectations[2].kwargs.mostly``.
    """
    raw = document.get("expectations", []) if isinstance(document, Mapping) else None
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ContractError(source, [("expectations", "must be a list")])
    issues: List[Tuple[str, str]] = []
    specs = [_check_entry(i, e, issues) for i, e in enumerate(raw)]
    if issues:
        raise ContractError(source, issues)
    return [s for s in specs if s is not None]


# --- the result document ---


def empty_result_document(suite_name: str) -> Dict[str, Any]:
    """The validation result of an empty suite, in the shape of GX's ``to_json_dict()``.

    Written without running GX when the contract declares no expectations (so such datasets
    do not need GX on the cluster): success, no results, zero counts, ``success_percent`` null.
    """
    return {
        "success": True,
        "results": [],
        "suite_name": suite_name,
        "suite_parameters": {},
        "statistics": {
            "evaluated_expectations": 0,
            "successful_expectations": 0,
            "unsuccessful_expectations": 0,
            "success_percent": None,
        },
        "meta": {},
    }


def result_document(
    gx_result: Mapping[str, Any], load_id: str, dataset: str, attempt: int, validated_at: dt.datetime
) -> Dict[str, Any]:
    """What the job writes to ``--result``: GX's ExpectationSuiteValidationResult JSON (``to_json_dict()``)
    with ``meta.lakeplane = {"phase": "validate", "loadId", "dataset", "attempt", "validatedAt"}``
    added; everything GX wrote is kept as it is."""
    doc = dict(gx_result)
    meta = dict(doc.get("meta") or {})
    meta["lakeplane"] = {
        "phase": "validate",
        "loadId": load_id,
        "dataset": dataset,
        "attempt": attempt,
        "validatedAt": _utc(validated_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    doc["meta"] = meta
    return doc
