import unittest

from lakeplane_jobs.avro import AvroError, read_container

from .helpers import avro_container

SCHEMA = {
    "type": "record",
    "name": "Everything",
    "namespace": "t",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "a", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": ["null", "string"]}},
        {"name": "u", "type": ["null", "Color"]},
        {
            "name": "r",
            "type": {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": {"type": "long", "logicalType": "timestamp-micros"}}]},
        },
        {"name": "rs", "type": {"type": "array", "items": "t.Inner"}},
    ],
}
RECORDS = [
    {
        "n": None, "b": True, "i": -1, "l": 2**62, "f": 1.5, "d": -2.25, "by": b"\x00\xff", "s": "h\u00e9llo",
        "e": "GREEN", "fx": b"abcd", "a": [0, -1, 300], "m": {"k": "v", "z": None}, "u": "RED",
        "r": {"x": 1714566600000000}, "rs": [{"x": 1}, {"x": -2}],
    },
    {
        "n": None, "b": False, "i": 0, "l": -(2**63), "f": 0.0, "d": 0.0, "by": b"", "s": "",
        "e": "RED", "fx": b"\x00\x00\x00\x00", "a": [], "m": {}, "u": None, "r": {"x": 0}, "rs": [],
    },
]


class Container(unittest.TestCase):
    def test_roundtrip_all_types_both_codecs(self):
        for codec in ("null", "deflate"):
            with self.subTest(codec=codec):
                schema, records = read_container(avro_container(SCHEMA, RECORDS, codec))
                self.assertEqual(schema["name"], "Everything")
                self.assertEqual(records, RECORDS)

    def test_errors(self):
        with self.assertRaises(AvroError):
            read_container(b"{}")
        data = bytearray(avro_container(SCHEMA, RECORDS))
        data[-1] ^= 0xFF  # break the trailing sync marker
        with self.assertRaises(AvroError) as cm:
            read_container(bytes(data))
        self.assertIn("sync", str(cm.exception))
        with self.assertRaises(AvroError):
            read_container(avro_container(SCHEMA, RECORDS)[:-30])
        snappy = avro_container(SCHEMA, RECORDS).replace(b"\x08null", b"\x0csnappy", 1)
        with self.assertRaises(AvroError) as cm:
            read_container(snappy)
        self.assertIn("snappy", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
