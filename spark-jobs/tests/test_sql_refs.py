import unittest

from lakeplane_jobs.sql_refs import TableRef, quote_identifier, rewrite_silver_refs, rewrite_table_refs

from .helpers import fixture_contract

DBS = {"silver": "lake_silver", "gold": "lake_gold"}


class Rewrite(unittest.TestCase):
    def test_real_gold_sql(self):
        orders = fixture_contract("orders").gold[0].sql
        sql, refs = rewrite_table_refs(orders, DBS)
        self.assertEqual(sql, orders.replace("FROM silver.orders", "FROM lake_silver.orders"))
        self.assertEqual(refs, [TableRef("silver", "orders")])
        items = fixture_contract("order_items").gold[0].sql
        self.assertIn("FROM lake_silver.order_items\n", rewrite_silver_refs(items, "lake_silver"))

    def test_string_literals_are_untouched(self):
        sql = "SELECT 'silver.orders' AS a, 'it''s silver.orders' AS b, 'x\\'silver.orders' AS c FROM silver.orders"
        self.assertEqual(
            rewrite_silver_refs(sql, "db"),
            "SELECT 'silver.orders' AS a, 'it''s silver.orders' AS b, 'x\\'silver.orders' AS c FROM db.orders",
        )
        self.assertEqual(rewrite_silver_refs('SELECT "silver.orders" FROM t', "db"), 'SELECT "silver.orders" FROM t')

    def test_quoted_identifiers_and_comments_are_untouched(self):
        sql = (
            "SELECT `silver.orders`.x -- from silver.orders\n"
            "/* silver.orders */ FROM silver.orders JOIN silver.order_items USING (order_id)"
        )
        self.assertEqual(
            rewrite_silver_refs(sql, "db"),
            "SELECT `silver.orders`.x -- from silver.orders\n"
            "/* silver.orders */ FROM db.orders JOIN db.order_items USING (order_id)",
        )

    def test_other_identifiers_are_untouched(self):
        for sql in (
            "SELECT * FROM silver_x.orders",
            "SELECT * FROM xsilver.orders",
            "SELECT * FROM my.silver.orders",
            "SELECT silver FROM t",
            "SELECT silverorders.a FROM silverorders",
            "SELECT t.silver.x FROM t",
        ):
            self.assertEqual(rewrite_table_refs(sql, DBS), (sql, []), sql)

    def test_the_whole_table_name_is_kept(self):
        self.assertEqual(rewrite_silver_refs("FROM silver.orders_x", "db"), "FROM db.orders_x")
        self.assertEqual(rewrite_silver_refs("FROM silver.orders.x", "db"), "FROM db.orders.x")

    def test_case_whitespace_and_qualified_columns(self):
        sql, refs = rewrite_table_refs("SELECT Silver . Orders.id FROM SILVER.orders o,silver.order_items", DBS)
        self.assertEqual(sql, "SELECT lake_silver.Orders.id FROM lake_silver.orders o,lake_silver.order_items")
        self.assertEqual(
            refs, [TableRef("silver", "Orders"), TableRef("silver", "orders"), TableRef("silver", "order_items")]
        )

    def test_gold_refs(self):
        self.assertEqual(
            rewrite_table_refs("SELECT * FROM gold.daily_revenue JOIN silver.orders", DBS)[0],
            "SELECT * FROM lake_gold.daily_revenue JOIN lake_silver.orders",
        )
        self.assertEqual(rewrite_silver_refs("FROM gold.daily_revenue", "db"), "FROM gold.daily_revenue")

    def test_database_names_that_need_quoting(self):
        self.assertEqual(rewrite_silver_refs("FROM silver.orders", "lake-silver"), "FROM `lake-silver`.orders")
        self.assertEqual(quote_identifier("a`b"), "`a``b`")
        self.assertEqual(quote_identifier("lake_silver"), "lake_silver")

    def test_unterminated_literal_and_comment(self):
        self.assertEqual(rewrite_silver_refs("SELECT 'silver.orders", "db"), "SELECT 'silver.orders")
        self.assertEqual(rewrite_silver_refs("SELECT 1 /* silver.orders", "db"), "SELECT 1 /* silver.orders")


if __name__ == "__main__":
    unittest.main()
