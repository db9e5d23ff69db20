import copy
import json
import unittest

from lakeplane_jobs.coltypes import ColumnType, parse_column_type, spark_type_name
from lakeplane_jobs.contract import (
    apply_defaults,
    gate_checked_fields,
    key_columns,
    load_contract_json,
    parse_contract,
    required_fields,
)
from lakeplane_jobs.errors import ContractError

from .helpers import fixture_contract, fixture_document


class RealContracts(unittest.TestCase):
    def test_orders(self):
        c = fixture_contract("orders")
        self.assertEqual(c.name, "orders")
        self.assertEqual(c.bronze_prefix, "orders/")
        self.assertEqual(c.bronze_format, "ndjson")
        self.assertEqual(c.max_bad_record_ratio, 0.2)
        self.assertEqual(c.key, ("order_id",))
        self.assertEqual(c.precombine, "updated_at")
        self.assertEqual(c.partition, "order_date")
        self.assertIsNone(c.cdc)
        self.assertEqual(
            [(col.name, str(col.type), col.nullable, col.pii) for col in c.columns],
            [
                ("order_id", "string", False, False),
                ("customer_id", "string", False, False),
                ("customer_email", "string", True, True),
                ("status", "string", False, False),
                ("order_ts", "timestamp", False, False),
                ("order_total", "decimal(12,2)", False, False),
                ("currency", "string", False, False),
                ("fx_rate", "double", False, False),
                ("updated_at", "timestamp", False, False),
            ],
        )
        self.assertIn("FROM batch", c.silver_sql)
        self.assertEqual([g.name for g in c.gold], ["daily_revenue"])
        self.assertIn("FROM silver.orders", c.gold[0].sql)
        # partition is a Silver column made by silver.sql, not a Bronze column
        self.assertIsNone(c.column("order_date"))

    def test_order_items_is_composite_key_cdc(self):
        c = fixture_contract("order_items")
        self.assertEqual(c.key, ("order_id", "line_no"))
        self.assertEqual(c.precombine, "dms_commit_ts")
        self.assertEqual(c.cdc.column, "Op")
        self.assertEqual(c.cdc.delete_value, "D")
        self.assertEqual(c.column("line_no").type, ColumnType("int"))
        self.assertEqual(c.column("unit_price").type, ColumnType("decimal", 12, 2))
        self.assertEqual(c.column("op").name, "Op")  # case-insensitive lookup, as Spark resolves
        self.assertEqual([g.name for g in c.gold], ["sku_sales"])

    def test_required_fields(self):
        # The record key and precombine fields are left to the quality gate, not required per record.
        self.assertEqual(
            required_fields(fixture_contract("orders")),
            {
                "customer_id": "not nullable",
                "status": "not nullable",
                "order_ts": "not nullable",
                "order_total": "not nullable",
                "currency": "not nullable",
                "fx_rate": "not nullable",
            },
        )
        self.assertEqual(required_fields(fixture_contract("order_items")), {})
        self.assertEqual(key_columns(fixture_contract("order_items")), ("order_id", "line_no"))

    def test_key_and_precombine_fields_are_never_required(self):
        doc = fixture_document("orders")
        doc["columns"][0]["nullable"] = True  # order_id, the key
        doc["key"] = ["ORDER_ID"]  # matched case-insensitively, as Spark resolves names
        doc["precombine"] = "Updated_At"
        required = required_fields(parse_contract(doc))
        self.assertNotIn("order_id", required)
        self.assertNotIn("updated_at", required)
        self.assertEqual(required["customer_id"], "not nullable")

    def test_gate_checked_fields(self):
        self.assertEqual(gate_checked_fields(fixture_contract("orders")), ("order_id", "updated_at"))
        self.assertEqual(
            gate_checked_fields(fixture_contract("order_items")), ("order_id", "line_no", "dms_commit_ts")
        )
        doc = fixture_document("orders")
        doc["key"] = ["order_key"]  # a key made by silver.sql is checked too
        doc["precombine"] = "order_key"
        self.assertEqual(gate_checked_fields(parse_contract(doc)), ("order_key",))

    def test_the_artifact_lets_the_gate_stop_keyless_records(self):
        """What the stage relies on: a fail, all-rows not-null expectation on every gate-checked field.

        The deploy step's export adds an implicit one for each field the contract's own
        expectations do not cover (shared/core/quality/implicit.ts).
        """
        for name in ("orders", "order_items"):
            with self.subTest(dataset=name):
                doc = fixture_document(name)
                covered = {
                    e["kwargs"]["column"]
                    for e in doc["expectations"]
                    if e["type"] == "expect_column_values_to_not_be_null"
                    and e["severity"] == "fail"
                    and "mostly" not in e["kwargs"]
                }
                self.assertLessEqual(set(gate_checked_fields(fixture_contract(name))), covered)
        implicit = {
            name: [
                (e["kwargs"]["column"], e["description"])
                for e in fixture_document(name)["expectations"]
                if e.get("description", "").startswith(("record key field: ", "precombine field: "))
            ]
            for name in ("orders", "order_items")
        }
        key = "record key field: a record without it cannot be upserted"
        precombine = "precombine field: a record without it cannot be ordered against the stored row"
        self.assertEqual(
            implicit,
            {
                "orders": [("updated_at", precombine)],  # order_id has a not-null expectation of its own
                "order_items": [("order_id", key), ("line_no", key), ("dms_commit_ts", precombine)],
            },
        )

    def test_extra_fields_are_kept_and_ignored(self):
        doc = fixture_document("orders")
        doc["paused"] = False
        doc["expectations"] = [{"anything": 1}]
        c = parse_contract(doc)
        self.assertEqual(c.document["drift"], {"policy": "alert"})
        self.assertEqual(c.document["paused"], False)


class Defaults(unittest.TestCase):
    def test_apply_defaults_fills_what_is_missing(self):
        doc = {
            "name": "t",
            "bronze": {"prefix": "t/"},
            "key": ["id"],
            "precombine": "ts",
            "partition": "d",
            "columns": [{"name": "id", "type": "string"}, {"name": "ts", "type": "timestamp", "nullable": False}],
            "silver": {"sql": "SELECT * FROM batch"},
            "cdc": {"column": "id"},
        }
        out = apply_defaults(doc)
        self.assertEqual(out["bronze"], {"prefix": "t/", "format": "ndjson", "max_bad_record_ratio": 0.2})
        self.assertEqual(out["columns"][0], {"name": "id", "type": "string", "nullable": True, "pii": False})
        self.assertEqual(out["columns"][1]["nullable"], False)
        self.assertEqual(out["gold"], [])
        self.assertEqual(out["cdc"], {"column": "id", "delete_value": "D"})
        self.assertNotIn("format", doc["bronze"])  # the input is not changed

    def test_apply_defaults_is_idempotent_on_the_fixtures(self):
        for name in ("orders", "order_items"):
            doc = fixture_document(name)
            self.assertEqual(apply_defaults(doc), doc)

    def test_missing_defaults_load_the_same(self):
        doc = fixture_document("orders")
        stripped = copy.deepcopy(doc)
        del stripped["bronze"]["max_bad_record_ratio"]
        for col in stripped["columns"]:
            if not col["pii"]:
                col.pop("pii")
            if col["nullable"]:
                col.pop("nullable")
        self.assertEqual(parse_contract(stripped), parse_contract(doc))


class Invalid(unittest.TestCase):
    def issues(self, mutate):
        doc = fixture_document("order_items")
        mutate(doc)
        with self.assertRaises(ContractError) as cm:
            parse_contract(doc, "s3://a/contracts/order_items.json")
        return cm.exception

    def test_every_issue_is_listed_with_its_path(self):
        def mutate(d):
            d["key"] = []
            d["columns"][3]["type"] = "integer"
            d["bronze"]["max_bad_record_ratio"] = 1.5

        e = self.issues(mutate)
        self.assertEqual(
            e.issues,
            (
                ("bronze.max_bad_record_ratio", "must be a number from 0 to 1, got 1.5"),
                ("columns[3].type", 'unknown type "integer"; use one of string, int, bigint, double, float, '
                 "boolean, date, timestamp, decimal(p,s)"),
                ("key", "must be a non-empty list of field names"),
            ),
        )
        self.assertTrue(str(e).startswith("contract s3://a/contracts/order_items.json is invalid: "))

    def test_duplicate_column_case_insensitive(self):
        e = self.issues(lambda d: d["columns"].append({"name": "ORDER_ID", "type": "string"}))
        self.assertEqual(e.issues, (("columns[8].name", "duplicates columns[2].name 'ORDER_ID'"),))

    def test_cdc_column_must_be_a_string_column(self):
        e = self.issues(lambda d: d["cdc"].update(column="line_no"))
        self.assertEqual(e.issues, (("cdc.column", "'line_no' must be a string column, it is int"),))
        e = self.issues(lambda d: d["cdc"].update(column="op_type"))
        self.assertEqual(e.issues, (("cdc.column", "'op_type' is not one of the columns"),))

    def test_ratio_must_not_be_a_boolean(self):
        e = self.issues(lambda d: d["bronze"].update(max_bad_record_ratio=True))
        self.assertEqual(e.issues[0][0], "bronze.max_bad_record_ratio")

    def test_format_and_names(self):
        def mutate(d):
            d["bronze"]["format"] = "csv"
            d["name"] = "Order-Items"
            d["gold"].append({"name": "sku_sales", "sql": "SELECT 1"})

        e = self.issues(mutate)
        self.assertEqual(
            [p for p, _ in e.issues], ["name", "bronze.format", "gold[1].name"]
        )

    def test_not_json(self):
        with self.assertRaises(ContractError) as cm:
            load_contract_json("name: orders", "s3://a/contracts/orders.json")
        self.assertIn("not valid JSON", str(cm.exception))
        with self.assertRaises(ContractError):
            load_contract_json("[]")

    def test_load_contract_json_roundtrip(self):
        c = load_contract_json(json.dumps(fixture_document("orders")), "x")
        self.assertEqual(c, fixture_contract("orders"))


class ColumnTypes(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(parse_column_type(" Decimal( 12 , 2 ) "), ColumnType("decimal", 12, 2))
        self.assertEqual(parse_column_type("BIGINT"), ColumnType("bigint"))
        self.assertEqual(spark_type_name(ColumnType("decimal", 38, 0)), "decimal(38,0)")
        self.assertEqual(spark_type_name(ColumnType("int")), "int")
        for bad, msg in [
            ("decimal(40,2)", "decimal precision must be 1..38, got 40"),
            ("decimal(4,6)", "decimal scale 6 is larger than its precision 4"),
            ("varchar", 'unknown type "varchar"'),
        ]:
            with self.assertRaises(ValueError) as cm:
                parse_column_type(bad)
            self.assertIn(msg, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
