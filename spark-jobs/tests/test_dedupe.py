import datetime as dt
import json
import unittest

from lakeplane_jobs.casting import bad_ratio_failure, parse_line
from lakeplane_jobs.contract import key_columns, parse_contract, required_fields
from lakeplane_jobs.dedupe import (
    LINE_COLUMN,
    OBJECT_COLUMN,
    DedupePlan,
    OrderBy,
    dedupe_plan,
    dedupe_rows,
    has_null_key,
    null_key_condition,
    order_spec,
)

from .helpers import fixture_contract, fixture_document

T = lambda h: dt.datetime(2024, 5, 1, h, tzinfo=dt.timezone.utc)  # noqa: E731


class Plan(unittest.TestCase):
    def test_real_contracts_dedupe_before_sql(self):
        self.assertEqual(dedupe_plan(fixture_contract("orders")), DedupePlan(("order_id",), "updated_at", True))
        self.assertEqual(
            dedupe_plan(fixture_contract("order_items")), DedupePlan(("order_id", "line_no"), "dms_commit_ts", True)
        )

    def test_derived_key_dedupes_after_sql_only(self):
        doc = fixture_document("orders")
        doc["key"] = ["order_key"]
        self.assertEqual(dedupe_plan(parse_contract(doc)), DedupePlan(("order_key",), "updated_at", False))

    def test_order_spec(self):
        plan = dedupe_plan(fixture_contract("orders"))
        self.assertEqual(order_spec(plan, True), (OrderBy("updated_at", True, True), OrderBy(LINE_COLUMN, True, True)))
        self.assertEqual(order_spec(plan, False), (OrderBy("updated_at", True, True),))
        # The stage's typed batch: the later object of the manifest, then the later line.
        self.assertEqual(
            order_spec(plan, True, with_object=True),
            (OrderBy("updated_at", True, True), OrderBy(OBJECT_COLUMN, True, True), OrderBy(LINE_COLUMN, True, True)),
        )


class AcrossObjects(unittest.TestCase):
    """A load of several objects: a precombine tie goes to the later object, then the later line."""

    spec = order_spec(DedupePlan(("id",), "ts", True), True, with_object=True)

    def test_tie_to_the_later_object_whatever_the_line(self):
        rows = [
            {"id": "a", "ts": T(1), OBJECT_COLUMN: 0, LINE_COLUMN: 9, "v": "first object, late line"},
            {"id": "a", "ts": T(1), OBJECT_COLUMN: 1, LINE_COLUMN: 1, "v": "second object, first line"},
            {"id": "b", "ts": T(1), OBJECT_COLUMN: 2, LINE_COLUMN: 1, "v": "b third object"},
            {"id": "b", "ts": T(1), OBJECT_COLUMN: 1, LINE_COLUMN: 5, "v": "b second object"},
        ]
        kept, dropped = dedupe_rows(rows, ["id"], self.spec)
        self.assertEqual([r["v"] for r in kept], ["second object, first line", "b third object"])
        self.assertEqual(dropped, 2)

    def test_within_one_object_the_later_line(self):
        rows = [
            {"id": "a", "ts": T(1), OBJECT_COLUMN: 1, LINE_COLUMN: 2, "v": "line 2"},
            {"id": "a", "ts": T(1), OBJECT_COLUMN: 1, LINE_COLUMN: 3, "v": "line 3"},
            {"id": "a", "ts": T(1), OBJECT_COLUMN: 0, LINE_COLUMN: 4, "v": "earlier object"},
        ]
        self.assertEqual([r["v"] for r in dedupe_rows(rows, ["id"], self.spec)[0]], ["line 3"])

    def test_the_greater_precombine_still_wins_first(self):
        rows = [
            {"id": "a", "ts": T(2), OBJECT_COLUMN: 0, LINE_COLUMN: 1, "v": "newer, earlier object"},
            {"id": "a", "ts": T(1), OBJECT_COLUMN: 3, LINE_COLUMN: 1, "v": "older, later object"},
        ]
        self.assertEqual([r["v"] for r in dedupe_rows(rows, ["id"], self.spec)[0]], ["newer, earlier object"])


class Rows(unittest.TestCase):
    spec = (OrderBy("ts"), OrderBy(LINE_COLUMN))

    def test_greatest_precombine_wins_then_later_line(self):
        rows = [
            {"id": "a", "ts": T(2), LINE_COLUMN: 1, "v": "a-newest"},
            {"id": "a", "ts": T(1), LINE_COLUMN: 2, "v": "a-stale"},
            {"id": "b", "ts": T(1), LINE_COLUMN: 3, "v": "b-first"},
            {"id": "b", "ts": T(1), LINE_COLUMN: 4, "v": "b-later-same-ts"},
            {"id": "c", "ts": None, LINE_COLUMN: 6, "v": "c-null-ts"},
            {"id": "c", "ts": T(0), LINE_COLUMN: 5, "v": "c-ts"},
        ]
        kept, dropped = dedupe_rows(rows, ["id"], self.spec)
        self.assertEqual([r["v"] for r in kept], ["a-newest", "b-later-same-ts", "c-ts"])
        self.assertEqual(dropped, 3)

    def test_composite_key(self):
        rows = [
            {"order_id": "o1", "line_no": 1, "ts": T(1), LINE_COLUMN: 1},
            {"order_id": "o1", "line_no": 2, "ts": T(1), LINE_COLUMN: 2},
            {"order_id": "o1", "line_no": 1, "ts": T(3), LINE_COLUMN: 3},
        ]
        kept, dropped = dedupe_rows(rows, ["order_id", "line_no"], self.spec)
        self.assertEqual([(r["line_no"], r[LINE_COLUMN]) for r in kept], [(1, 3), (2, 2)])
        self.assertEqual(dropped, 1)

    def test_no_duplicates(self):
        rows = [{"id": i, "ts": T(1), LINE_COLUMN: i} for i in range(5)]
        self.assertEqual(dedupe_rows(rows, ["id"], self.spec), (rows, 0))

    def test_rows_without_a_key_are_all_kept(self):
        # Not grouped under a null key: each reaches the quality gate, which counts them all.
        rows = [
            {"id": None, "ts": T(1), LINE_COLUMN: 1, "v": "null-1"},
            {"id": "a", "ts": T(1), LINE_COLUMN: 2, "v": "a-stale"},
            {"ts": T(3), LINE_COLUMN: 3, "v": "missing"},
            {"id": None, "ts": T(1), LINE_COLUMN: 4, "v": "null-2"},
            {"id": "a", "ts": T(2), LINE_COLUMN: 5, "v": "a-newest"},
        ]
        kept, dropped = dedupe_rows(rows, ["id"], self.spec)
        self.assertEqual([r["v"] for r in kept], ["null-1", "a-newest", "missing", "null-2"])
        self.assertEqual(dropped, 1)

    def test_a_composite_key_with_any_null_part_is_no_key(self):
        rows = [
            {"order_id": "o1", "line_no": None, "ts": T(1), LINE_COLUMN: 1},
            {"order_id": "o1", "line_no": None, "ts": T(2), LINE_COLUMN: 2},
            {"order_id": None, "line_no": 1, "ts": T(1), LINE_COLUMN: 3},
            {"order_id": "o1", "line_no": 1, "ts": T(1), LINE_COLUMN: 4},
        ]
        kept, dropped = dedupe_rows(rows, ["order_id", "line_no"], self.spec)
        self.assertEqual([r[LINE_COLUMN] for r in kept], [1, 2, 3, 4])
        self.assertEqual(dropped, 0)
        self.assertEqual([has_null_key(r, ["order_id", "line_no"]) for r in rows], [True, True, True, False])


class NullKeyCondition(unittest.TestCase):
    def test_sql(self):
        self.assertEqual(null_key_condition(["order_id"]), "`order_id` IS NULL")
        self.assertEqual(null_key_condition(("order_id", "line_no")), "`order_id` IS NULL OR `line_no` IS NULL")
        self.assertEqual(null_key_condition(["select", "a`b"]), "`select` IS NULL OR `a``b` IS NULL")
        with self.assertRaises(ValueError):
            null_key_condition([])


class StageSemantics(unittest.TestCase):
    """The stage phase's row logic end to end on a small order_items file (without Spark)."""

    LINES = [
        {"Op": "I", "dms_commit_ts": "2024-05-01T10:00:00Z", "order_id": "o1", "line_no": 1, "sku": "A",
         "quantity": 2, "unit_price": "9.99", "order_date": "2024-05-01"},
        {"Op": "U", "dms_commit_ts": "2024-05-01T11:00:00Z", "order_id": "o1", "line_no": 1, "sku": "A",
         "quantity": 3, "unit_price": "9.99", "order_date": "2024-05-01"},
        {"Op": "U", "dms_commit_ts": "2024-05-01T09:00:00Z", "order_id": "o1", "line_no": 1, "sku": "A",
         "quantity": 1, "unit_price": "9.99", "order_date": "2024-05-01"},
        '{"Op": "I", "order_id": ',
        {"Op": "D", "dms_commit_ts": "2024-05-01T12:00:00Z", "order_id": "o2", "line_no": 1},
        {"Op": "I", "dms_commit_ts": "2024-05-01T12:00:00Z", "order_id": "o3", "line_no": "two"},
        "",
        {"Op": "I", "dms_commit_ts": "2024-05-01T08:00:00Z", "order_id": "o2", "line_no": 1, "sku": "B"},
    ]

    # Records without their key or precombine field: staged, not quarantined (the gate stops the batch).
    KEYLESS = [
        {"Op": "I", "dms_commit_ts": "2024-05-01T13:00:00Z", "order_id": None, "line_no": 1},
        {"Op": "I", "dms_commit_ts": "2024-05-01T13:00:00Z", "line_no": 1},
        {"Op": "U", "dms_commit_ts": "2024-05-01T13:00:00Z", "order_id": "o2", "line_no": None},
        {"Op": "U", "order_id": "o1", "line_no": 1, "quantity": 9},
    ]

    def parse(self, c, lines):
        cols = [(col.name, col.type) for col in c.columns]
        parsed = [
            parse_line(line if isinstance(line, str) else json.dumps(line), i + 1, cols, required_fields(c),
                       key_columns(c))
            for i, line in enumerate(lines)
        ]
        return cols, [p for p in parsed if p is not None]

    def test_counts_and_survivors(self):
        c = fixture_contract("order_items")
        cols, parsed = self.parse(c, self.LINES)
        bad = [p for p in parsed if not p.ok]
        self.assertEqual((len(parsed), len(bad)), (7, 2))
        self.assertEqual([(b.line_no, b.reason) for b in bad][1], (6, 'field line_no: "two" is not an int'))
        failure = bad_ratio_failure(c.name, "s3://b/k", len(parsed), len(bad), c.max_bad_record_ratio,
                                    (bad[0].line_no, bad[0].reason))
        self.assertIsNotNone(failure)  # 2 of 7 is 28.6% > 20%
        self.assertIn("First bad line 4: not valid JSON", failure)

        good = [dict(zip([n for n, _ in cols], p.values), **{LINE_COLUMN: p.line_no}) for p in parsed if p.ok]
        plan = dedupe_plan(c)
        kept, dropped = dedupe_rows(good, plan.key, order_spec(plan, True))
        self.assertEqual(dropped, 3)  # two stale o1 updates, the older o2 insert
        self.assertEqual(
            [(r["order_id"], r["Op"], r["quantity"], r[LINE_COLUMN]) for r in kept],
            [("o1", "U", 3, 2), ("o2", "D", None, 5)],
        )

    def test_keyless_records_are_staged_and_all_kept_for_the_gate(self):
        c = fixture_contract("order_items")
        cols, parsed = self.parse(c, self.LINES + self.KEYLESS)
        bad = [p for p in parsed if not p.ok]
        self.assertEqual((len(parsed), len(bad)), (11, 2))  # the keyless lines 9-12 are not bad
        self.assertIsNone(bad_ratio_failure(c.name, "s3://b/k", len(parsed), len(bad), c.max_bad_record_ratio, None))

        good = [dict(zip([n for n, _ in cols], p.values), **{LINE_COLUMN: p.line_no}) for p in parsed if p.ok]
        plan = dedupe_plan(c)
        kept, dropped = dedupe_rows(good, plan.key, order_spec(plan, True))
        # Every keyless row survives; line 12 has a key, and no precombine value loses to line 2.
        self.assertEqual([r[LINE_COLUMN] for r in kept], [2, 5, 9, 10, 11])
        self.assertEqual(dropped, 4)
        # What the gate's not-null expectations on these fields (implicit ones in the contract
        # artifact) count as unexpected: every keyless row.
        nulls = {f: sum(r[f] is None for r in kept) for f in ("order_id", "line_no", "dms_commit_ts")}
        self.assertEqual(nulls, {"order_id": 2, "line_no": 1, "dms_commit_ts": 0})
        not_null = [e["kwargs"]["column"] for e in fixture_document("order_items")["expectations"]
                    if e["type"] == "expect_column_values_to_not_be_null" and e["severity"] == "fail"]
        self.assertEqual(sorted(not_null), ["dms_commit_ts", "line_no", "order_id"])


if __name__ == "__main__":
    unittest.main()
