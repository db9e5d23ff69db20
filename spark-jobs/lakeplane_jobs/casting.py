"""Reading one NDJSON line against the contract columns.

These are the record rules of every path: shared/core/record-rules.ts implements them in
TypeScript (the stream check) and local/engine/record-rules.ts + sql.ts in DuckDB SQL; all three
are held to tests/fixtures/parity/record-rules.json and tests/fixtures/bad-records/corpus.json.

A line is checked in this order: at most ``MAX_RECORD_BYTES`` (1 MiB, the Kinesis record limit)
bytes of UTF-8 text (``record is N bytes, more than the 1048576 allowed``; ``not valid UTF-8: byte
0xe9 at offset 12`` when the stage has the line's bytes); one leading byte order mark dropped; a
blank line is no record; JSON as the json module reads it (bare ``NaN``/``Infinity`` tokens are
refused: ``not valid JSON: NaN is not valid JSON``); a JSON object (``not a JSON object (the line
is an array)``) that gives no key twice (``duplicate key in the JSON object: "n"``; a nested
object keeps every member in its text); then each field.

Every field is read as text first (JSON numbers keep their literal text, true/false become
"true"/"false", objects and arrays their JSON text), then cast to the declared type by the
rules below. A line that is not a JSON object, lacks a required field, has an empty string
record key, or has a non-null value that does not cast is a bad record: it goes to quarantine
with a reason naming the field. A missing or null record key or precombine field is not a
record-level reason (``contract.required_fields`` leaves those fields out): the record is staged
and the quality gate's implicit not-null expectations stop the whole batch.

Cast rules (the text is trimmed of ASCII white space first, except for ``string``; digits are
ASCII digits):

- ``string``: the text as is (an object or array keeps its JSON text, as Spark does).
- ``int``/``bigint``: an optionally signed integer; ``5.0`` is accepted as 5, ``5.5`` is not;
  the value must be in the 32/64-bit range.
- ``double``/``float``: a decimal number, optionally with an exponent; NaN and Infinity are
  refused (the strings ``"NaN"``, ``"Infinity"``; bare tokens are not JSON), so are true/false;
  a float must be within +-3.4028235e38.
- ``boolean``: true/false/1/0, in any case.
- ``date``: ``YYYY-MM-DD``.
- ``timestamp``: ISO 8601 ``YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|+HH:MM|+HHMM|+HH]``; without an
  offset the time is UTC; an offset beyond 18 hours or 59 minutes (``+25:00``) is refused, so is
  a time whose UTC instant is outside years 1-9999; beyond microseconds the fraction is
  truncated (Spark keeps micros).
- ``decimal(p,s)``: a decimal number; rounded half-up to s places (as Spark's cast does); a
  value with more than p-s integer digits (or an exponent beyond Python's +-999999) does not fit
  and is refused.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .coltypes import ColumnType
from .errors import CastError

MAX_RECORD_BYTES = 1048576
"""The largest record in bytes of UTF-8 without its line ending: 1 MiB, the Kinesis record limit."""

INT_RANGE = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
FLOAT_MAX = 3.4028234663852886e38

# re.ASCII: \d is 0-9 and \s the ASCII white space, as in DuckDB's RE2 and the TypeScript rules.
_INTEGRAL = re.compile(r"[+-]?\d+(?:\.0*)?\Z", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"[ \t\n\r\f\v]*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?\Z",
    re.ASCII,
)
_WS = " \t\n\r\f\v"
_TRUE = ("true", "1")
_FALSE = ("false", "0")
MAX_SHOWN = 80


def show(text: str) -> str:
    """The value as it appears in a reason: JSON-quoted, cut to 80 characters."""
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 1] + "\u2026"
    return json.dumps(text, ensure_ascii=False)


def cast_value(text: str, ctype: ColumnType) -> Any:
    """Casts the text of one non-null value to the Python value Spark takes for the type.

    Returns str, int, float, bool, decimal.Decimal, datetime.date, or an aware UTC
    datetime.datetime. Raises CastError with a reason like ``"abc" is not a double``.
    """
    kind = ctype.kind
    if kind == "string":
        return text
    t = text.strip(_WS)
    if kind in INT_RANGE:
        if not _INTEGRAL.match(t):
            raise CastError(f"{show(text)} is not an {kind}" if kind == "int" else f"{show(text)} is not a {kind}")
        value = int(t.split(".")[0])
        lo, hi = INT_RANGE[kind]
        if not lo <= value <= hi:
            raise CastError(f"{show(text)} is out of range for {kind}")
        return value
    if kind in ("double", "float"):
        if not _NUMBER.match(t):
            raise CastError(f"{show(text)} is not a {kind}")
        value = float(t)
        if math.isinf(value) or (kind == "float" and abs(value) > FLOAT_MAX):
            raise CastError(f"{show(text)} is out of range for {kind}")
        return value
    if kind == "boolean":
        low = t.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise CastError(f"{show(text)} is not a boolean (use true or false)")
    if kind == "date":
        m = _DATE.match(t)
        try:
            if not m:
                raise ValueError
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CastError(f"{show(text)} is not a date (use YYYY-MM-DD)") from None
    if kind == "timestamp":
        return _timestamp(text, t)
    if kind == "decimal":
        return _decimal(text, t, ctype)
    raise CastError(f"unsupported type {ctype}")


def _timestamp(text: str, t: str) -> dt.datetime:
    m = _TIMESTAMP.match(t)
    bad = CastError(f"{show(text)} is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)")
    if not m:
        raise bad
    year, month, day, hour, minute, second, fraction, offset = m.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = dt.timezone.utc
        if offset and offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
            if hours > 18 or minutes > 59:
                raise ValueError
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        value = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micros, tzinfo=tz
        )
        return value.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise bad from None


def _decimal(text: str, t: str, ctype: ColumnType) -> decimal.Decimal:
    if not _NUMBER.match(t):
        raise CastError(f"{show(text)} is not a {ctype}")
    scale, precision = ctype.scale or 0, ctype.precision or 38
    ctx = decimal.Context(prec=precision + 40, rounding=decimal.ROUND_HALF_UP)
    try:
        value = ctx.create_decimal(t).quantize(decimal.Decimal(1).scaleb(-scale), context=ctx)
    except decimal.DecimalException:
        # InvalidOperation (too many digits for the scale) or Overflow (an exponent beyond Emax)
        raise CastError(f"{show(text)} does not fit {ctype}") from None
    if abs(value) >= decimal.Decimal(10) ** (precision - scale):
        raise CastError(f"{show(text)} does not fit {ctype}")
    return value


class RawNumber(str):
    """A JSON number kept as its literal text."""


class _Object(dict):
    """A JSON object that keeps its members as written (``pairs``) and the keys given twice."""

    pairs: List[Tuple[str, Any]]
    duplicates: List[str]


def _object(pairs: List[Tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    obj.pairs = pairs
    obj.duplicates = []
    if len(obj) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen and k not in obj.duplicates:
                obj.duplicates.append(k)
            seen.add(k)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def raw_text(value: Any) -> Optional[str]:
    """The text of one parsed JSON value (None for JSON null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return str(value)
    return _json_text(value)


def _json_text(value: Any) -> str:
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, dict):
        items = value.pairs if isinstance(value, _Object) else list(value.items())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _json_text(v) for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def parse_json_object(line: str) -> Dict[str, Any]:
    """Parses one line as a JSON object with numbers kept as text; raises ValueError saying why not."""
    try:
        value = json.loads(
            line,
            parse_int=RawNumber,
            parse_float=RawNumber,
            parse_constant=_reject_constant,
            object_pairs_hook=_object,
        )
    except ValueError as e:
        raise ValueError(f"not valid JSON: {e}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if not isinstance(value, dict):
        if isinstance(value, RawNumber):
            kind = "a number"
        elif isinstance(value, str):
            kind = "a string"
        elif isinstance(value, list):
            kind = "an array"
        elif isinstance(value, bool):
            kind = "a boolean"
        else:
            kind = "null"
        raise ValueError(f"not a JSON object (the line is {kind})")
    if value.duplicates:
        keys = ", ".join(show(k) for k in value.duplicates)
        raise ValueError(f"duplicate {'key' if len(value.duplicates) == 1 else 'keys'} in the JSON object: {keys}")
    return value


class LineResult(NamedTuple):
    """One non-blank line: ``values`` in column order when good, else ``reason``."""

    line_no: int
    values: Optional[Tuple[Any, ...]]
    reason: Optional[str]
    raw: str

    @property
    def ok(self) -> bool:
        return self.reason is None


def too_large_reason(size: int) -> str:
    """The reason of a record over MAX_RECORD_BYTES."""
    return f"record is {size} bytes, more than the {MAX_RECORD_BYTES} allowed"


def line_text(line: Any) -> Tuple[Optional[str], Optional[str]]:
    """(text, None) of a line given as str or bytes, or (None, reason): over the size limit, not UTF-8."""
    if isinstance(line, (bytes, bytearray)):
        if len(line) > MAX_RECORD_BYTES:
            return None, too_large_reason(len(line))
        try:
            return bytes(line).decode("utf-8"), None
        except UnicodeDecodeError as e:
            return None, f"not valid UTF-8: byte 0x{line[e.start]:02x} at offset {e.start}"
    if len(line) > MAX_RECORD_BYTES // 4:
        size = len(line.encode("utf-8", "surrogatepass"))
        if size > MAX_RECORD_BYTES:
            return None, too_large_reason(size)
    return line, None


def parse_line(
    line: Any,
    line_no: int,
    columns: Sequence[Tuple[str, ColumnType]],
    required: Dict[str, str],
    non_empty: Iterable[str] = (),
) -> Optional[LineResult]:
    """Reads one NDJSON line against the columns; None for a blank line.

    ``columns`` are (name, type) pairs in contract order; ``required`` maps the names that
    must be present and non-null to why (``not nullable``; the stage passes
    ``contract.required_fields``, which leaves out the record key and precombine fields, so a
    record without them is read with None there and left to the quality gate);
    ``non_empty`` names string fields that must not be an empty string when present (the
    record key fields: ``field order_id: empty (record key field)``).
    Fields not in the columns are ignored. All bad fields are named in the reason.
    ``line`` is the line's text, or its bytes (the size and UTF-8 rules then see the bytes; the
    raw line kept for quarantine writes bytes outside UTF-8 as ``\\xe9``).
    """
    decoded, why = line_text(line)
    if isinstance(line, (bytes, bytearray)):
        line = bytes(line).decode("utf-8", "backslashreplace")
    if decoded is None:
        return LineResult(line_no, None, why, line)
    text = decoded[1:] if decoded.startswith("\ufeff") else decoded
    if not text.strip(_WS):
        return None
    try:
        record = parse_json_object(text)
    except ValueError as e:
        return LineResult(line_no, None, str(e), line)
    values: List[Any] = []
    problems: List[str] = []
    must_fill = set(non_empty)
    for name, ctype in columns:
        present = name in record
        raw = raw_text(record.get(name)) if present else None
        if raw is None:
            if name in required:
                problems.append(f"field {name}: {'null' if present else 'missing'} ({required[name]})")
            values.append(None)
            continue
        if name in must_fill and ctype.kind == "string" and raw == "":
            problems.append(f"field {name}: empty (record key field)")
            values.append(None)
            continue
        try:
            values.append(cast_value(raw, ctype))
        except CastError as e:
            problems.append(f"field {name}: {e}")
            values.append(None)
    if problems:
        return LineResult(line_no, None, "; ".join(problems), line)
    return LineResult(line_no, tuple(values), None, line)


def quarantine_record(
    dataset: str, load_id: str, source: str, line_no: int, raw_line: str, reason: str
) -> Dict[str, Any]:
    """The JSON object written to quarantine for one bad line."""
    return {
        "loadId": load_id,
        "dataset": dataset,
        "source": source,
        "lineNumber": line_no,
        "reason": reason,
        "rawLine": raw_line,
    }


def over_bad_ratio(rows_in: int, rows_bad: int, max_ratio: float) -> bool:
    """Whether the share of bad records of one object exceeds ``max_ratio`` (the object is rejected)."""
    return rows_in > 0 and rows_bad > 0 and rows_bad / rows_in > max_ratio


def rejected_reason(rows_bad: int, rows_in: int) -> str:
    """The quarantine reason of a good record whose object was rejected whole (over the bad-record ratio).

    ``rows_bad`` of ``rows_in`` are that object's counts (blank lines are not records).
    """
    return (
        f"object rejected: {rows_bad} of {rows_in} records are bad (more than bronze.max_bad_record_ratio allows); "
        "fix the file and land it again"
    )


def bad_ratio_failure(
    dataset: str,
    source: str,
    rows_in: int,
    rows_bad: int,
    max_ratio: float,
    first_bad: Optional[Tuple[int, str]],
) -> Optional[str]:
    """The failure message when the share of bad records exceeds ``max_ratio``, else None."""
    if not over_bad_ratio(rows_in, rows_bad, max_ratio):
        return None
    share = 100.0 * rows_bad / rows_in
    msg = (
        f"{dataset}: {rows_bad} of {rows_in} records ({share:.1f}%) in {source} are bad, more than "
        f"bronze.max_bad_record_ratio {max_ratio:g} allows; the file was not staged"
    )
    if first_bad is not None:
        msg += f". First bad line {first_bad[0]}: {first_bad[1]}"
    return msg
