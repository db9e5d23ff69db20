"""Loading and checking the dataset contract JSON the deploy step uploads.

The deploy step uploads ``datasets/<name>.yaml`` as JSON with the same field names, after
defaults are applied. :func:`apply_defaults` applies the same defaults again (it is
idempotent), so a contract converted from YAML without them loads the same way. Fields the
jobs do not use (description, owner, drift, alerts, expectations, paused, ...) are kept in
``Contract.document`` and otherwise ignored, so the contract can grow without breaking the jobs.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .coltypes import ColumnType, parse_column_type
from .errors import ContractError

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DATASET_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
GOLD_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}\Z")

DEFAULT_MAX_BAD_RECORD_RATIO = 0.2
DEFAULT_CDC_DELETE_VALUE = "D"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    pii: bool = False


@dataclass(frozen=True)
class GoldTable:
    name: str
    sql: str


@dataclass(frozen=True)
class Cdc:
    column: str
    delete_value: str = DEFAULT_CDC_DELETE_VALUE


@dataclass(frozen=True)
class Contract:
    name: str
    bronze_prefix: str
    bronze_format: str
    max_bad_record_ratio: float
    key: Tuple[str, ...]
    precombine: str
    partition: str
    columns: Tuple[Column, ...]
    silver_sql: str
    gold: Tuple[GoldTable, ...] = ()
    cdc: Optional[Cdc] = None
    document: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def column(self, name: str) -> Optional[Column]:
        """The Bronze column of that name (case-insensitive, as Spark resolves names)."""
        lowered = name.lower()
        for c in self.columns:
            if c.name.lower() == lowered:
                return c
        return None

    @property
    def column_names(self) -> Tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def apply_defaults(document: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of the contract document with the deploy-time defaults filled in.

    nullable=true and pii=false per column, bronze.max_bad_record_ratio=0.2,
    bronze.format=ndjson, gold=[] and cdc.delete_value="D". Values present are kept.
    """
    doc = copy.deepcopy(document)
    if not isinstance(doc, dict):
        return doc
    bronze = doc.get("bronze")
    if isinstance(bronze, dict):
        bronze.setdefault("format", "ndjson")
        bronze.setdefault("max_bad_record_ratio", DEFAULT_MAX_BAD_RECORD_RATIO)
    columns = doc.get("columns")
    if isinstance(columns, list):
        for col in columns:
            if isinstance(col, dict):
                col.setdefault("nullable", True)
                col.setdefault("pii", False)
    doc.setdefault("gold", [])
    cdc = doc.get("cdc")
    if isinstance(cdc, dict):
        cdc.setdefault("delete_value", DEFAULT_CDC_DELETE_VALUE)
    return doc


def load_contract_json(text: str, source: str = "<contract>") -> Contract:
    """Parses the contract JSON text; raises ContractError naming the source."""
    try:
        document = json.loads(text)
    except ValueError as e:
        raise ContractError(source, [("", f"not valid JSON: {e}")]) from None
    return parse_contract(document, source)


def parse_contract(document: Any, source: str = "<contract>") -> Contract:
    """Checks what the jobs need and returns the contract; raises ContractError listing all issues."""
    issues: List[Tuple[str, str]] = []
    if not isinstance(document, dict):
        raise ContractError(source, [("", "must be a JSON object")])
    doc = apply_defaults(document)

    def text(path: str, value: Any, pattern: Optional["re.Pattern[str]"] = None, what: str = "") -> str:
        if not isinstance(value, str) or not value.strip():
            issues.append((path, "must be a non-empty string"))
            return ""
        if pattern is not None and not pattern.match(value):
            issues.append((path, f"must be {what}, got {value!r}"))
        return value

    name = text("name", doc.get("name"), DATASET_NAME, "lower case letters, digits or underscore, starting with a letter")

    bronze = doc.get("bronze")
    prefix, fmt, ratio = "", "ndjson", DEFAULT_MAX_BAD_RECORD_RATIO
    if not isinstance(bronze, dict):
        issues.append(("bronze", "must be an object with prefix, format and max_bad_record_ratio"))
    else:
        prefix = text("bronze.prefix", bronze.get("prefix"))
        fmt = bronze.get("format")
        if fmt != "ndjson":
            issues.append(("bronze.format", f'only "ndjson" is supported, got {fmt!r}'))
        raw_ratio = bronze.get("max_bad_record_ratio")
        if isinstance(raw_ratio, bool) or not isinstance(raw_ratio, (int, float)) or not 0 <= raw_ratio <= 1:
            issues.append(("bronze.max_bad_record_ratio", f"must be a number from 0 to 1, got {raw_ratio!r}"))
        else:
            ratio = float(raw_ratio)

    columns: List[Column] = []
    raw_columns = doc.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        issues.append(("columns", "must be a non-empty list"))
        raw_columns = []
    seen: Dict[str, int] = {}
    for i, col in enumerate(raw_columns):
        path = f"columns[{i}]"
        if not isinstance(col, dict):
            issues.append((path, "must be an object with name and type"))
            continue
        cname = text(f"{path}.name", col.get("name"), IDENTIFIER, "an identifier")
        if cname:
            if cname.lower() in seen:
                issues.append((f"{path}.name", f"duplicates columns[{seen[cname.lower()]}].name {cname!r}"))
            seen.setdefault(cname.lower(), i)
        try:
            ctype = parse_column_type(col.get("type"))
        except ValueError as e:
            issues.append((f"{path}.type", str(e)))
            ctype = ColumnType("string")
        nullable, pii = col.get("nullable"), col.get("pii")
        if not isinstance(nullable, bool):
            issues.append((f"{path}.nullable", f"must be true or false, got {nullable!r}"))
        if not isinstance(pii, bool):
            issues.append((f"{path}.pii", f"must be true or false, got {pii!r}"))
        columns.append(Column(cname, ctype, nullable is not False, pii is True))

    raw_key = doc.get("key")
    key: List[str] = []
    if isinstance(raw_key, str):
        raw_key = [raw_key]
    if not isinstance(raw_key, list) or not raw_key:
        issues.append(("key", "must be a non-empty list of field names"))
    else:
        for i, k in enumerate(raw_key):
            kname = text(f"key[{i}]", k, IDENTIFIER, "an identifier")
            if kname and kname.lower() in (x.lower() for x in key):
                issues.append((f"key[{i}]", f"{kname!r} is listed twice"))
            key.append(kname)
    precombine = text("precombine", doc.get("precombine"), IDENTIFIER, "an identifier")
    partition = text("partition", doc.get("partition"), IDENTIFIER, "an identifier")

    silver = doc.get("silver")
    silver_sql = ""
    if not isinstance(silver, dict):
        issues.append(("silver", "must be an object with sql"))
    else:
        silver_sql = text("silver.sql", silver.get("sql"))

    gold: List[GoldTable] = []
    raw_gold = doc.get("gold")
    if not isinstance(raw_gold, list):
        issues.append(("gold", "must be a list"))
        raw_gold = []
    gold_names: Dict[str, int] = {}
    for i, g in enumerate(raw_gold):
        path = f"gold[{i}]"
        if not isinstance(g, dict):
            issues.append((path, "must be an object with name and sql"))
            continue
        gname = text(f"{path}.name", g.get("name"), GOLD_NAME, "lower case letters, digits or underscore")
        if gname in gold_names:
            issues.append((f"{path}.name", f"duplicates gold[{gold_names[gname]}].name {gname!r}"))
        gold_names.setdefault(gname, i)
        gold.append(GoldTable(gname, text(f"{path}.sql", g.get("sql"))))

    cdc: Optional[Cdc] = None
    raw_cdc = doc.get("cdc")
    if raw_cdc is not None:
        if not isinstance(raw_cdc, dict):
            issues.append(("cdc", "must be an object with column"))
        else:
            ccol = text("cdc.column", raw_cdc.get("column"), IDENTIFIER, "an identifier")
            dval = text("cdc.delete_value", raw_cdc.get("delete_value"))
            declared = next((c for c in columns if c.name.lower() == ccol.lower()), None) if ccol else None
            if ccol and declared is None:
                issues.append(("cdc.column", f"{ccol!r} is not one of the columns"))
            elif declared is not None and declared.type.kind != "string":
                issues.append(("cdc.column", f"{ccol!r} must be a string column, it is {declared.type}"))
            cdc = Cdc(ccol, dval or DEFAULT_CDC_DELETE_VALUE)

    if issues:
        raise ContractError(source, issues)
    return Contract(
        name=name,
        bronze_prefix=prefix,
        bronze_format=fmt,
        max_bad_record_ratio=ratio,
        key=tuple(key),
        precombine=precombine,
        partition=partition,
        columns=tuple(columns),
        silver_sql=silver_sql,
        gold=tuple(gold),
        cdc=cdc,
        document=doc,
    )


def required_fields(contract: Contract) -> Dict[str, str]:
    """Bronze columns a record must have a non-null value for, with why (``not nullable``).

    The non-nullable columns other than the record key and precombine fields. A record whose
    key or precombine field is missing or null is not a bad record: it is staged, and the
    contract's implicit ``expect_column_values_to_not_be_null`` expectations on those fields
    (see :func:`gate_checked_fields`) make the quality gate stop the whole batch, since such a
    record means a broken producer.
    """
    skip = {f.lower() for f in gate_checked_fields(contract)}
    return {c.name: "not nullable" for c in contract.columns if not c.nullable and c.name.lower() not in skip}


def gate_checked_fields(contract: Contract) -> Tuple[str, ...]:
    """The record key fields and the precombine field, whose nulls are the quality gate's business.

    As the contract names them (they may be Silver columns made by silver.sql). The deploy
    step's contract artifact adds to ``expectations`` a severity-fail
    ``expect_column_values_to_not_be_null`` for each of them the contract's own do not cover
    (shared/core/quality/implicit.ts), so the validate step checks them on the staged batch.
    """
    out: List[str] = []
    for name in tuple(contract.key) + (contract.precombine,):
        if name.lower() not in (f.lower() for f in out):
            out.append(name)
    return tuple(out)


def key_columns(contract: Contract) -> Tuple[str, ...]:
    """The record key fields that are Bronze columns, as the columns spell them."""
    out = []
    for k in contract.key:
        col = contract.column(k)
        if col is not None:
            out.append(col.name)
    return tuple(out)
