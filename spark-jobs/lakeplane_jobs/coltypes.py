"""Contract column types: parsing the type names and what Spark calls them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

SIMPLE_TYPES = ("string", "int", "bigint", "double", "float", "boolean", "date", "timestamp")
TYPE_NAMES = "string, int, bigint, double, float, boolean, date, timestamp, decimal(p,s)"
_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)\Z")


@dataclass(frozen=True)
class ColumnType:
    """A contract column type; ``precision``/``scale`` are set for decimals only."""

    kind: str
    precision: Optional[int] = None
    scale: Optional[int] = None

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.kind


def parse_column_type(text: str) -> ColumnType:
    """Parses ``decimal(12,2)``, ``timestamp``, ... (case-insensitive).

    Raises ValueError with a message that says what is accepted.
    """
    if not isinstance(text, str):
        raise ValueError(f"type must be a string, got {type(text).__name__}")
    t = text.strip().lower()
    if t in SIMPLE_TYPES:
        return ColumnType(t)
    m = _DECIMAL.match(t)
    if m:
        precision, scale = int(m.group(1)), int(m.group(2))
        if not 1 <= precision <= 38:
            raise ValueError(f"decimal precision must be 1..38, got {precision}")
        if scale > precision:
            raise ValueError(f"decimal scale {scale} is larger than its precision {precision}")
        return ColumnType("decimal", precision, scale)
    raise ValueError(f'unknown type "{text}"; use one of {TYPE_NAMES}')


# Spark SQL type names (DataType.simpleString) of the contract types.
_SPARK_NAMES = {
    "string": "string",
    "int": "int",
    "bigint": "bigint",
    "double": "double",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def spark_type_name(ctype: ColumnType) -> str:
    """The Spark SQL type name, e.g. ``decimal(12,2)``, ``bigint``."""
    if ctype.kind == "decimal":
        return f"decimal({ctype.precision},{ctype.scale})"
    return _SPARK_NAMES[ctype.kind]
