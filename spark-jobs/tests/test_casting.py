import datetime as dt
import json
import unittest
from decimal import Decimal

from lakeplane_jobs.casting import (
    bad_ratio_failure,
    cast_value,
    parse_json_object,
    parse_line,
    quarantine_record,
    raw_text,
)
from lakeplane_jobs.coltypes import ColumnType, parse_column_type
from lakeplane_jobs.contract import key_columns, required_fields
from lakeplane_jobs.errors import CastError

from .helpers import fixture_contract

UTC = dt.timezone.utc


def cast(text, type_name):
    return cast_value(text, parse_column_type(type_name))


class CastValue(unittest.TestCase):
    def assertRefused(self, text, type_name, reason):
        with self.assertRaises(CastError) as cm:
            cast(text, type_name)
        self.assertEqual(str(cm.exception), reason)

    def test_string_is_kept_as_is(self):
        self.assertEqual(cast("  a b ", "string"), "  a b ")
        self.assertEqual(cast("", "string"), "")

    def test_int_and_bigint(self):
        self.assertEqual(cast("42", "int"), 42)
        self.assertEqual(cast(" -7 ", "int"), -7)
        self.assertEqual(cast("5.0", "int"), 5)
        self.assertEqual(cast("2147483647", "int"), 2147483647)
        self.assertEqual(cast("9223372036854775807", "bigint"), 9223372036854775807)
        self.assertRefused("5.5", "int", '"5.5" is not an int')
        self.assertRefused("2147483648", "int", '"2147483648" is out of range for int')
        self.assertRefused("9223372036854775808", "bigint", '"9223372036854775808" is out of range for bigint')
        self.assertRefused("1e3", "bigint", '"1e3" is not a bigint')
        self.assertRefused("", "int", '"" is not an int')
        self.assertRefused("0x10", "int", '"0x10" is not an int')

    def test_double_and_float(self):
        self.assertEqual(cast("1.08", "double"), 1.08)
        self.assertEqual(cast("-2.5e-3", "double"), -0.0025)
        self.assertEqual(cast(".5", "float"), 0.5)
        self.assertRefused("abc", "double", '"abc" is not a double')
        self.assertRefused("NaN", "double", '"NaN" is not a double')
        self.assertRefused("Infinity", "double", '"Infinity" is not a double')
        self.assertRefused("1_000", "double", '"1_000" is not a double')
        self.assertRefused("1e400", "double", '"1e400" is out of range for double')
        self.assertRefused("1e39", "float", '"1e39" is out of range for float')

    def test_boolean(self):
        self.assertIs(cast("true", "boolean"), True)
        self.assertIs(cast("FALSE", "boolean"), False)
        self.assertIs(cast("1", "boolean"), True)
        self.assertIs(cast("0", "boolean"), False)
        self.assertRefused("yes", "boolean", '"yes" is not a boolean (use true or false)')

    def test_date(self):
        self.assertEqual(cast("2024-02-29", "date"), dt.date(2024, 2, 29))
        self.assertRefused("2023-02-29", "date", '"2023-02-29" is not a date (use YYYY-MM-DD)')
        self.assertRefused("20240101", "date", '"20240101" is not a date (use YYYY-MM-DD)')
        self.assertRefused("2024-01-01T00:00:00", "date", '"2024-01-01T00:00:00" is not a date (use YYYY-MM-DD)')

    def test_timestamp(self):
        self.assertEqual(cast("2024-05-01T12:30:00Z", "timestamp"), dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC))
        self.assertEqual(
            cast("2024-05-01 14:30:00.123456789+02:00", "timestamp"),
            dt.datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC),
        )
        self.assertEqual(cast("2024-05-01T07:00-0530", "timestamp"), dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC))
        self.assertEqual(cast("2024-05-01T12:30:00", "timestamp"), dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC))
        self.assertEqual(cast("2024-05-01", "timestamp"), dt.datetime(2024, 5, 1, tzinfo=UTC))
        self.assertEqual(cast("2024-05-01T12:30:00.5z", "timestamp").microsecond, 500000)
        reason = " is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)"
        self.assertRefused("2024-13-01T00:00:00Z", "timestamp", '"2024-13-01T00:00:00Z"' + reason)
        self.assertRefused("2024-05-01T25:00:00Z", "timestamp", '"2024-05-01T25:00:00Z"' + reason)
        self.assertRefused("1714566600", "timestamp", '"1714566600"' + reason)
        self.assertRefused("2024-05-01Z", "timestamp", '"2024-05-01Z"' + reason)
        self.assertRefused("2024-05-01T12:30:00+19:00", "timestamp", '"2024-05-01T12:30:00+19:00"' + reason)

    def test_decimal(self):
        self.assertEqual(cast("19.99", "decimal(12,2)"), Decimal("19.99"))
        self.assertEqual(cast("19.9", "decimal(12,2)"), Decimal("19.90"))
        self.assertEqual(cast("0.125", "decimal(12,2)"), Decimal("0.13"))  # half-up, as Spark's cast
        self.assertEqual(cast("-0.125", "decimal(12,2)"), Decimal("-0.13"))
        self.assertEqual(cast("1.5e2", "decimal(12,2)"), Decimal("150.00"))
        self.assertEqual(cast("9999999999.99", "decimal(12,2)"), Decimal("9999999999.99"))
        self.assertRefused("10000000000", "decimal(12,2)", '"10000000000" does not fit decimal(12,2)')
        self.assertRefused("9999999999.995", "decimal(12,2)", '"9999999999.995" does not fit decimal(12,2)')
        self.assertRefused("12,50", "decimal(12,2)", '"12,50" is not a decimal(12,2)')

    def test_long_values_are_cut_in_reasons(self):
        with self.assertRaises(CastError) as cm:
            cast("x" * 500, "int")
        self.assertEqual(str(cm.exception), json.dumps("x" * 79 + "\u2026", ensure_ascii=False) + " is not an int")


class RawText(unittest.TestCase):
    def test_numbers_keep_their_literal_text(self):
        rec = parse_json_object('{"a": 12.50, "b": 1e3, "c": -0, "d": true, "e": null, "f": {"x": [1, 2.0]}}')
        self.assertEqual([raw_text(rec[k]) for k in "abcdef"], ["12.50", "1e3", "-0", "true", None, '{"x":[1,2.0]}'])

    def test_not_objects(self):
        for line, why in [
            ("[1,2]", "not a JSON object (the line is an array)"),
            ("42", "not a JSON object (the line is a number)"),
            ('"x"', "not a JSON object (the line is a string)"),
            ("null", "not a JSON object (the line is null)"),
        ]:
            with self.assertRaises(ValueError) as cm:
                parse_json_object(line)
            self.assertEqual(str(cm.exception), why)
        with self.assertRaises(ValueError) as cm:
            parse_json_object('{"a": NaN}')
        self.assertTrue(str(cm.exception).startswith("not valid JSON"))


ORDER = {
    "order_id": "o-1",
    "customer_id": "c-9",
    "customer_email": "a@example.com",
    "status": "paid",
    "order_ts": "2024-05-01T10:00:00Z",
    "order_total": 120.5,
    "currency": "EUR",
    "fx_rate": 1.08,
    "updated_at": "2024-05-01T10:05:00Z",
}


class ParseLine(unittest.TestCase):
    def setUp(self):
        self.c = fixture_contract("orders")
        self.columns = [(col.name, col.type) for col in self.c.columns]
        self.required = required_fields(self.c)
        self.keys = key_columns(self.c)

    def parse(self, record_or_line, line_no=3):
        line = record_or_line if isinstance(record_or_line, str) else json.dumps(record_or_line)
        return parse_line(line, line_no, self.columns, self.required, self.keys)

    def test_good_record_is_typed_in_column_order(self):
        r = self.parse(dict(ORDER, extra_field="ignored"))
        self.assertTrue(r.ok)
        self.assertEqual(r.line_no, 3)
        self.assertEqual(
            r.values,
            (
                "o-1",
                "c-9",
                "a@example.com",
                "paid",
                dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
                Decimal("120.50"),
                "EUR",
                1.08,
                dt.datetime(2024, 5, 1, 10, 5, tzinfo=UTC),
            ),
        )

    def test_nullable_field_may_be_missing_or_null(self):
        rec = dict(ORDER)
        del rec["customer_email"]
        self.assertIsNone(self.parse(rec).values[2])
        self.assertIsNone(self.parse(dict(ORDER, customer_email=None)).values[2])

    def test_cast_failure_names_the_field(self):
        r = self.parse(dict(ORDER, fx_rate="abc"))
        self.assertFalse(r.ok)
        self.assertEqual(r.reason, 'field fx_rate: "abc" is not a double')
        self.assertIsNone(r.values)

    def test_missing_null_and_empty_key(self):
        rec = dict(ORDER, status=None, order_id="")
        del rec["currency"]
        self.assertEqual(
            self.parse(rec).reason,
            "field order_id: empty (record key field); field status: null (not nullable); "
            "field currency: missing (not nullable)",
        )

    def test_missing_or_null_key_and_precombine_are_left_to_the_quality_gate(self):
        # Not a bad record: it is staged with None there, and the contract's implicit
        # not-null expectations on those fields make the gate stop the whole batch.
        rec = dict(ORDER, order_id=None)
        del rec["updated_at"]
        r = self.parse(rec)
        self.assertTrue(r.ok)
        self.assertEqual((r.values[0], r.values[8]), (None, None))
        self.assertEqual(r.values[1], "c-9")
        r = self.parse(dict(ORDER, updated_at=None))
        self.assertTrue(r.ok)
        self.assertIsNone(r.values[8])
        # ... but a value that is there must still cast, and a string key must not be empty.
        self.assertEqual(self.parse(dict(ORDER, order_id=None, updated_at="soon")).reason,
                         'field updated_at: "soon" is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z)')
        self.assertEqual(self.parse(dict(ORDER, order_id="", customer_id=None)).reason,
                         "field order_id: empty (record key field); field customer_id: null (not nullable)")

    def test_every_bad_field_is_named(self):
        r = self.parse(dict(ORDER, order_total="12.3.4", order_ts="yesterday"))
        self.assertEqual(
            r.reason,
            'field order_ts: "yesterday" is not a timestamp (use ISO 8601, e.g. 2024-05-01T12:30:00Z); '
            'field order_total: "12.3.4" is not a decimal(12,2)',
        )

    def test_invalid_json_and_non_objects(self):
        self.assertTrue(self.parse('{"order_id": "o-1",').reason.startswith("not valid JSON: "))
        self.assertEqual(self.parse("[1]").reason, "not a JSON object (the line is an array)")

    def test_blank_lines_and_bom(self):
        self.assertIsNone(self.parse("   "))
        self.assertIsNone(self.parse(""))
        self.assertTrue(self.parse("\ufeff" + json.dumps(ORDER)).ok)

    def test_raw_line_is_kept(self):
        line = '{"order_id": 1'
        self.assertEqual(self.parse(line).raw, line)

    def test_composite_key_cdc_record(self):
        c = fixture_contract("order_items")
        r = parse_line(
            json.dumps({"Op": "D", "dms_commit_ts": "2024-05-02 08:00:00.000001", "order_id": "o-1", "line_no": 2}),
            1,
            [(col.name, col.type) for col in c.columns],
            required_fields(c),
            key_columns(c),
        )
        self.assertEqual(
            r.values,
            ("D", dt.datetime(2024, 5, 2, 8, 0, 0, 1, tzinfo=UTC), "o-1", 2, None, None, None, None),
        )

    def test_composite_key_with_a_null_part_is_staged(self):
        c = fixture_contract("order_items")
        cols = [(col.name, col.type) for col in c.columns]
        r = parse_line(json.dumps({"Op": "I", "order_id": "o-1", "line_no": None}), 1, cols, required_fields(c),
                       key_columns(c))
        self.assertTrue(r.ok)
        self.assertEqual(r.values[1:4], (None, "o-1", None))
        r = parse_line(json.dumps({"Op": "I", "order_id": "", "line_no": "x"}), 2, cols, required_fields(c),
                       key_columns(c))
        self.assertEqual(r.reason, 'field order_id: empty (record key field); field line_no: "x" is not an int')


class Quarantine(unittest.TestCase):
    def test_record(self):
        self.assertEqual(
            quarantine_record("orders", "orders-abc", "s3://b/orders/f.ndjson", 7, '{"x":', "not valid JSON: x"),
            {
                "loadId": "orders-abc",
                "dataset": "orders",
                "source": "s3://b/orders/f.ndjson",
                "lineNumber": 7,
                "reason": "not valid JSON: x",
                "rawLine": '{"x":',
            },
        )

    def test_ratio_at_the_limit_passes_above_fails(self):
        self.assertIsNone(bad_ratio_failure("orders", "s3://b/k", 10, 2, 0.2, (4, "r")))
        self.assertIsNone(bad_ratio_failure("orders", "s3://b/k", 0, 0, 0.2, None))
        self.assertIsNone(bad_ratio_failure("orders", "s3://b/k", 10, 0, 0.0, None))
        msg = bad_ratio_failure("orders", "s3://b/orders/f.ndjson", 10, 3, 0.2, (2, 'field fx_rate: "abc" is not a double'))
        self.assertEqual(
            msg,
            "orders: 3 of 10 records (30.0%) in s3://b/orders/f.ndjson are bad, more than "
            "bronze.max_bad_record_ratio 0.2 allows; the file was not staged. "
            'First bad line 2: field fx_rate: "abc" is not a double',
        )
        self.assertIsNotNone(bad_ratio_failure("orders", "s", 10, 1, 0.0, (1, "r")))


class ColumnTypeStr(unittest.TestCase):
    def test_str(self):
        self.assertEqual(str(ColumnType("decimal", 14, 2)), "decimal(14,2)")


if __name__ == "__main__":
    unittest.main()
