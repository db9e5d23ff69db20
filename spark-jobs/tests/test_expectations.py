"""The contract expectations -> GX Core 1.x expectations mapping (pure; GX is not needed)."""

import datetime as dt
import json
import re
import unittest

from lakeplane_jobs.errors import ContractError
from lakeplane_jobs.expectations import (
    EXPECTATION_TYPES,
    GX_CLASS_NAMES,
    GX_VERSION,
    RESULT_FORMAT,
    SPARK_TYPE_NAMES,
    ExpectationSpec,
    GxExpectation,
    build_gx_expectations,
    empty_result_document,
    freshness_min_value,
    gx_class_name,
    lakeplane_meta,
    parse_expectations,
    result_document,
    spark_type_name,
    to_gx,
)

from .helpers import fixture_document

NOW = dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)


def spec(etype, kwargs, index=0, severity="fail", description=None):
    return ExpectationSpec(index, etype, kwargs, severity, description)


def gx(etype, kwargs, **kw):
    return to_gx(spec(etype, kwargs, **kw), NOW)


class ClassNames(unittest.TestCase):
    def test_every_supported_type_has_its_gx_1x_class(self):
        self.assertEqual(
            GX_CLASS_NAMES,
            {
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
            },
        )

    def test_class_names_snake_case_back_to_the_type(self):
        # GX registers each class under camel_to_snake(class name): the type in expectation_config.type
        for etype in EXPECTATION_TYPES:
            self.assertEqual(re.sub(r"(?<!^)(?=[A-Z])", "_", gx_class_name(etype)).lower(), etype)

    def test_unknown_type(self):
        with self.assertRaises(ValueError):
            gx_class_name("expect_column_values_to_be_json_parseable")

    def test_types_match_the_typescript_schema(self):
        import os

        from .helpers import REPO

        path = os.path.join(REPO, "shared", "core", "quality", "expectations.ts")
        if not os.path.exists(path):
            self.skipTest("shared/core/quality/expectations.ts is not in this tree")
        with open(path, encoding="utf-8") as f:
            ts = f.read()
        m = re.search(r"const definitions = \{(.*?)\n\} as const;", ts, re.S)
        if m is None:
            self.skipTest("the definitions are not declared the expected way")
        self.assertEqual(sorted(re.findall(r"^  (expect_\w+):", m.group(1), re.M)), sorted(EXPECTATION_TYPES))
        type_enum = re.search(r"type_: z\.enum\(\[(.*?)\]\)", ts)
        if type_enum:
            self.assertEqual(re.findall(r"'(\w+)'", type_enum.group(1)), list(SPARK_TYPE_NAMES))


class Mapping(unittest.TestCase):
    """Each supported type: the exact GX class and constructor kwargs (besides meta)."""

    def check(self, etype, kwargs, class_name, gx_kwargs):
        out = gx(etype, kwargs)
        self.assertEqual(out.class_name, class_name)
        self.assertEqual(dict(out.kwargs), gx_kwargs)

    def test_column_to_exist(self):
        self.check("expect_column_to_exist", {"column": "order_id"}, "ExpectColumnToExist", {"column": "order_id"})

    def test_not_null_with_mostly(self):
        self.check(
            "expect_column_values_to_not_be_null", {"column": "order_id", "mostly": 0.99},
            "ExpectColumnValuesToNotBeNull", {"column": "order_id", "mostly": 0.99},
        )
        self.check(
            "expect_column_values_to_not_be_null", {"column": "order_id"},
            "ExpectColumnValuesToNotBeNull", {"column": "order_id"},
        )

    def test_unique(self):
        self.check(
            "expect_column_values_to_be_unique", {"column": "order_id", "mostly": 1},
            "ExpectColumnValuesToBeUnique", {"column": "order_id", "mostly": 1},
        )

    def test_compound_unique(self):
        self.check(
            "expect_compound_columns_to_be_unique", {"column_list": ["order_id", "line_no"]},
            "ExpectCompoundColumnsToBeUnique", {"column_list": ["order_id", "line_no"]},
        )

    def test_values_between_passes_every_kwarg_and_drops_null_bounds(self):
        self.check(
            "expect_column_values_to_be_between",
            {"column": "quantity", "min_value": 0, "max_value": 10000, "strict_min": True, "strict_max": False,
             "mostly": 0.95},
            "ExpectColumnValuesToBeBetween",
            {"column": "quantity", "min_value": 0, "max_value": 10000, "strict_min": True, "strict_max": False,
             "mostly": 0.95},
        )
        self.check(
            "expect_column_values_to_be_between", {"column": "quantity", "min_value": None, "max_value": 5.5},
            "ExpectColumnValuesToBeBetween", {"column": "quantity", "max_value": 5.5},
        )

    def test_in_set(self):
        self.check(
            "expect_column_values_to_be_in_set", {"column": "Op", "value_set": ["I", "U", "D"], "mostly": 0.5},
            "ExpectColumnValuesToBeInSet", {"column": "Op", "value_set": ["I", "U", "D"], "mostly": 0.5},
        )

    def test_regex(self):
        self.check(
            "expect_column_values_to_match_regex", {"column": "order_id", "regex": "^ord-"},
            "ExpectColumnValuesToMatchRegex", {"column": "order_id", "regex": "^ord-"},
        )

    def test_value_lengths(self):
        self.check(
            "expect_column_value_lengths_to_be_between", {"column": "customer_id", "min_value": 1, "max_value": 64},
            "ExpectColumnValueLengthsToBeBetween", {"column": "customer_id", "min_value": 1, "max_value": 64},
        )

    def test_row_count(self):
        self.check(
            "expect_table_row_count_to_be_between", {"min_value": 1},
            "ExpectTableRowCountToBeBetween", {"min_value": 1},
        )
        self.check(
            "expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 1000000},
            "ExpectTableRowCountToBeBetween", {"min_value": 1, "max_value": 1000000},
        )

    def test_of_type_maps_the_duckdb_name_to_the_spark_type_class(self):
        self.check(
            "expect_column_values_to_be_of_type", {"column": "order_total_usd", "type_": "DECIMAL"},
            "ExpectColumnValuesToBeOfType", {"column": "order_total_usd", "type_": "DecimalType"},
        )
        self.check(
            "expect_column_values_to_be_of_type", {"column": "customer_id", "type_": "VARCHAR"},
            "ExpectColumnValuesToBeOfType", {"column": "customer_id", "type_": "StringType"},
        )

    def test_freshness_becomes_column_max_between_with_a_min_value(self):
        self.check(
            "expect_column_max_to_be_between", {"column": "updated_at", "max_age_seconds": 3600},
            "ExpectColumnMaxToBeBetween", {"column": "updated_at", "min_value": dt.datetime(2025, 1, 2, 2, 4, 5)},
        )

    def test_the_input_is_not_changed(self):
        kwargs = {"column": "t", "type_": "BIGINT"}
        gx("expect_column_values_to_be_of_type", kwargs)
        self.assertEqual(kwargs, {"column": "t", "type_": "BIGINT"})


class SparkTypes(unittest.TestCase):
    def test_duckdb_names_to_pyspark_type_classes(self):
        self.assertEqual(
            {t: spark_type_name(t) for t in SPARK_TYPE_NAMES},
            {
                "VARCHAR": "StringType",
                "INTEGER": "IntegerType",
                "BIGINT": "LongType",
                "DOUBLE": "DoubleType",
                "FLOAT": "FloatType",
                "BOOLEAN": "BooleanType",
                "DATE": "DateType",
                "TIMESTAMP": "TimestampType",
                "DECIMAL": "DecimalType",
            },
        )

    def test_unknown_names(self):
        for bad in ("varchar", "TEXT", "DECIMAL(12,2)", None):
            with self.assertRaises(ValueError):
                spark_type_name(bad)


class Freshness(unittest.TestCase):
    def test_timestamp_bound_is_naive_utc_to_the_second(self):
        self.assertEqual(freshness_min_value(NOW, 3600), dt.datetime(2025, 1, 2, 2, 4, 5))
        self.assertEqual(freshness_min_value(NOW, 3600, "timestamp"), dt.datetime(2025, 1, 2, 2, 4, 5))
        self.assertEqual(freshness_min_value(NOW, 86400, "timestamp_ntz"), dt.datetime(2025, 1, 1, 3, 4, 5))
        self.assertIsNone(freshness_min_value(NOW, 60).tzinfo)

    def test_date_column_gets_a_date(self):
        self.assertEqual(freshness_min_value(NOW, 3600, "date"), dt.date(2025, 1, 2))
        self.assertEqual(freshness_min_value(NOW, 4 * 3600, "date"), dt.date(2025, 1, 1))
        self.assertNotIsInstance(freshness_min_value(NOW, 60, "date"), dt.datetime)

    def test_clock_in_another_zone_or_naive(self):
        berlin = dt.timezone(dt.timedelta(hours=1))
        self.assertEqual(freshness_min_value(NOW.astimezone(berlin), 3600), dt.datetime(2025, 1, 2, 2, 4, 5))
        self.assertEqual(freshness_min_value(NOW.replace(tzinfo=None), 3600), dt.datetime(2025, 1, 2, 2, 4, 5))

    def test_column_type_from_the_batch(self):
        s = spec("expect_column_max_to_be_between", {"column": "Order_Date", "max_age_seconds": 172800})
        self.assertEqual(to_gx(s, NOW, {"order_date": "date"}).kwargs["min_value"], dt.date(2024, 12, 31))
        self.assertEqual(to_gx(s, NOW, {"order_date": "timestamp"}).kwargs["min_value"], dt.datetime(2024, 12, 31, 3, 4, 5))
        # a column the batch lacks: GX reports it; the bound is a timestamp
        self.assertEqual(to_gx(s, NOW, {}).kwargs["min_value"], dt.datetime(2024, 12, 31, 3, 4, 5))

    def test_a_column_that_is_not_a_date_or_timestamp_is_a_contract_error(self):
        specs = [
            spec("expect_column_to_exist", {"column": "x"}, index=0),
            spec("expect_column_max_to_be_between", {"column": "order_total", "max_age_seconds": 60}, index=1),
        ]
        with self.assertRaises(ContractError) as cm:
            build_gx_expectations(specs, NOW, {"order_total": "decimal(12,2)"}, "s3://art/contracts/orders.json")
        self.assertEqual(
            str(cm.exception),
            "contract s3://art/contracts/orders.json is invalid: expectations[1]: freshness (max_age_seconds) "
            "needs a date or timestamp column; order_total is decimal(12,2)",
        )


class Meta(unittest.TestCase):
    def test_meta_carries_index_and_severity(self):
        self.assertEqual(lakeplane_meta(3, "warn"), {"lakeplane": {"index": 3, "severity": "warn"}})
        out = gx("expect_column_to_exist", {"column": "c"}, index=4, severity="warn")
        self.assertEqual(out.meta, {"lakeplane": {"index": 4, "severity": "warn"}})

    def test_constructor_kwargs(self):
        out = gx("expect_column_values_to_not_be_null", {"column": "c", "mostly": 0.9}, index=2,
                 description="ids are set")
        self.assertEqual(
            out.constructor_kwargs(),
            {"column": "c", "mostly": 0.9, "meta": {"lakeplane": {"index": 2, "severity": "fail"}},
             "description": "ids are set"},
        )
        self.assertNotIn("description", gx("expect_column_to_exist", {"column": "c"}).constructor_kwargs())
        # a fresh meta each time: GX may keep and change what it is given
        first = out.constructor_kwargs()
        first["meta"]["lakeplane"]["severity"] = "warn"
        self.assertEqual(out.constructor_kwargs()["meta"]["lakeplane"]["severity"], "fail")

    def test_result_format_and_version(self):
        self.assertEqual(RESULT_FORMAT, {"result_format": "SUMMARY", "partial_unexpected_count": 20})
        self.assertTrue(GX_VERSION.startswith("1."), GX_VERSION)


class Fixtures(unittest.TestCase):
    """The expectations of the real contracts."""

    # The deploy step's export appends the implicit not-null expectations on the record key and
    # precombine fields the contract's own do not cover (shared/core/quality/implicit.ts).
    KEY = "record key field: a record without it cannot be upserted"
    PRECOMBINE = "precombine field: a record without it cannot be ordered against the stored row"

    def test_orders(self):
        specs = parse_expectations(fixture_document("orders"), "tests/fixtures/orders.json")
        out = build_gx_expectations(specs, NOW)
        self.assertEqual(
            [(e.class_name, e.meta["lakeplane"]["index"], e.meta["lakeplane"]["severity"]) for e in out],
            [
                ("ExpectColumnValuesToNotBeNull", 0, "fail"),
                ("ExpectColumnValuesToBeUnique", 1, "fail"),
                ("ExpectColumnValuesToBeBetween", 2, "fail"),
                ("ExpectColumnValuesToBeInSet", 3, "fail"),
                ("ExpectColumnValuesToBeInSet", 4, "warn"),
                ("ExpectColumnValuesToMatchRegex", 5, "warn"),
                ("ExpectColumnValueLengthsToBeBetween", 6, "warn"),
                ("ExpectColumnValuesToBeOfType", 7, "fail"),
                ("ExpectColumnValuesToNotBeNull", 8, "fail"),  # implicit: the key order_id is covered by 0
            ],
        )
        self.assertEqual(dict(out[7].kwargs), {"column": "order_total_usd", "type_": "DecimalType"})
        self.assertEqual(dict(out[2].kwargs), {"column": "order_total", "min_value": 0, "max_value": 1000000})
        self.assertEqual((dict(out[8].kwargs), out[8].description), ({"column": "updated_at"}, self.PRECOMBINE))

    def test_order_items(self):
        out = build_gx_expectations(parse_expectations(fixture_document("order_items")), NOW)
        self.assertEqual(
            [GxExpectation(e.class_name, dict(e.kwargs), e.meta, e.description) for e in out],
            [
                GxExpectation("ExpectCompoundColumnsToBeUnique", {"column_list": ["order_id", "line_no"]},
                              {"lakeplane": {"index": 0, "severity": "fail"}}),
                GxExpectation("ExpectColumnValuesToBeBetween", {"column": "quantity", "min_value": 0, "max_value": 10000},
                              {"lakeplane": {"index": 1, "severity": "fail"}}),
                GxExpectation("ExpectColumnValuesToBeInSet", {"column": "Op", "value_set": ["I", "U", "D"]},
                              {"lakeplane": {"index": 2, "severity": "warn"}}),
                GxExpectation("ExpectColumnValuesToNotBeNull", {"column": "order_id"},
                              {"lakeplane": {"index": 3, "severity": "fail"}}, self.KEY),
                GxExpectation("ExpectColumnValuesToNotBeNull", {"column": "line_no"},
                              {"lakeplane": {"index": 4, "severity": "fail"}}, self.KEY),
                GxExpectation("ExpectColumnValuesToNotBeNull", {"column": "dms_commit_ts"},
                              {"lakeplane": {"index": 5, "severity": "fail"}}, self.PRECOMBINE),
            ],
        )

    def test_no_expectations(self):
        self.assertEqual(parse_expectations({"name": "x"}), [])
        self.assertEqual(parse_expectations({"expectations": []}), [])
        self.assertEqual(parse_expectations({"expectations": None}), [])


class Parsing(unittest.TestCase):
    def issues(self, entries):
        with self.assertRaises(ContractError) as cm:
            parse_expectations({"expectations": entries}, "s3://art/contracts/orders.json")
        return dict(cm.exception.issues)

    def test_a_good_entry(self):
        out = parse_expectations({"expectations": [
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "q", "min_value": 0},
             "severity": "warn", "description": "no negative quantities"},
        ]})
        self.assertEqual(out, [ExpectationSpec(0, "expect_column_values_to_be_between", {"column": "q", "min_value": 0},
                                               "warn", "no negative quantities")])

    def test_severity_defaults_to_fail(self):
        out = parse_expectations({"expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}}]})
        self.assertEqual(out[0].severity, "fail")

    def test_every_problem_is_listed_with_its_path(self):
        issues = self.issues([
            {"type": "expect_column_values_to_be_json_parseable", "kwargs": {"column": "a"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "a"}, "severity": "error"},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a", "mostly": 1.5}},
            {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a"]}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a"}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 5, "max_value": 1}},
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": []}},
            {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "a", "regex": ""}},
            {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "a", "min_value": -1}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1.5}},
            {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "a", "type_": "TEXT"}},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "a", "max_age_seconds": 0}},
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "a", "min_value": 1}},
            "expect_column_to_exist",
            {"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "level": "high"},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": True}},
            {"type": "expect_column_to_exist", "kwargs": {"column": None}},
        ])
        self.assertIn("unsupported expectation type 'expect_column_values_to_be_json_parseable'", issues["expectations[0].type"])
        self.assertEqual(issues["expectations[1].kwargs.column"], "is required for expect_column_values_to_not_be_null")
        self.assertIn("is not an argument of expect_column_values_to_not_be_null (it takes column, mostly)",
                      issues["expectations[1].kwargs.colum"])
        self.assertEqual(issues["expectations[1].severity"], "must be \"fail\" or \"warn\", got 'error'")
        self.assertEqual(issues["expectations[2].kwargs.mostly"], "must be a number in (0, 1], got 1.5")
        self.assertIn("at least 2 column names", issues["expectations[3].kwargs.column_list"])
        self.assertEqual(issues["expectations[4].kwargs"], "expect_column_values_to_be_between needs min_value or max_value")
        self.assertEqual(issues["expectations[5].kwargs"], "min_value 5 is greater than max_value 1")
        self.assertIn("must be a non-empty list", issues["expectations[6].kwargs.value_set"])
        self.assertIn("must be a non-empty string", issues["expectations[7].kwargs.regex"])
        self.assertIn("non-negative integer", issues["expectations[8].kwargs.min_value"])
        self.assertIn("non-negative integer", issues["expectations[9].kwargs.min_value"])
        self.assertIn("must be one of VARCHAR, INTEGER, BIGINT", issues["expectations[10].kwargs.type_"])
        self.assertIn("positive integer", issues["expectations[11].kwargs.max_age_seconds"])
        self.assertEqual(issues["expectations[12].kwargs.max_age_seconds"], "is required for expect_column_max_to_be_between")
        self.assertIn("is not an argument of expect_column_max_to_be_between", issues["expectations[12].kwargs.min_value"])
        self.assertEqual(issues["expectations[13]"], "must be an object with type, kwargs and severity")
        self.assertIn("is not a field of an expectation", issues["expectations[14].level"])
        self.assertEqual(issues["expectations[15].kwargs.min_value"], "must be a number or null, got True")
        self.assertEqual(issues["expectations[16].kwargs.column"], "is required for expect_column_to_exist")

    def test_the_message_names_the_contract(self):
        with self.assertRaises(ContractError) as cm:
            parse_expectations({"expectations": {"type": "x"}}, "s3://art/contracts/orders.json")
        self.assertEqual(str(cm.exception), "contract s3://art/contracts/orders.json is invalid: expectations: must be a list")


class ResultDocument(unittest.TestCase):
    GX_RESULT = {
        "success": False,
        "results": [
            {
                "success": False,
                "expectation_config": {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": "status", "value_set": ["placed", "paid"]},
                    "meta": {"lakeplane": {"index": 4, "severity": "warn"}},
                    "id": "7a2c4a52-6a1b-4a8e-9a40-3d9e2f7e0b11",
                },
                "result": {"element_count": 10, "unexpected_count": 1, "unexpected_percent": 10.0,
                           "partial_unexpected_list": ["lost"]},
                "meta": {},
                "exception_info": {"raised_exception": False, "exception_traceback": None, "exception_message": None},
            }
        ],
        "suite_name": "orders",
        "suite_parameters": {},
        "statistics": {"evaluated_expectations": 1, "successful_expectations": 0, "unsuccessful_expectations": 1,
                       "success_percent": 0.0},
        "meta": {"validation_id": "v1", "run_id": {"run_name": "orders-1-attempt-2", "run_time": "2025-01-02T03:04:05.678000+00:00"}},
        "id": None,
    }

    def test_gx_fields_are_kept_and_lakeplane_meta_added(self):
        doc = result_document(self.GX_RESULT, "orders-1", "orders", 2, NOW)
        self.assertEqual({k: v for k, v in doc.items() if k != "meta"},
                         {k: v for k, v in self.GX_RESULT.items() if k != "meta"})
        self.assertEqual(doc["meta"]["validation_id"], "v1")
        self.assertEqual(
            doc["meta"]["lakeplane"],
            {"phase": "validate", "loadId": "orders-1", "dataset": "orders", "attempt": 2,
             "validatedAt": "2025-01-02T03:04:05.678000Z"},
        )
        self.assertNotIn("lakeplane", self.GX_RESULT["meta"])
        json.dumps(doc, allow_nan=False)

    def test_empty_suite(self):
        doc = result_document(empty_result_document("orders"), "orders-1", "orders", 1, NOW)
        self.assertTrue(doc["success"])
        self.assertEqual(doc["results"], [])
        self.assertEqual(
            doc["statistics"],
            {"evaluated_expectations": 0, "successful_expectations": 0, "unsuccessful_expectations": 0,
             "success_percent": None},
        )
        self.assertEqual(doc["meta"]["lakeplane"]["phase"], "validate")


if __name__ == "__main__":
    unittest.main()
