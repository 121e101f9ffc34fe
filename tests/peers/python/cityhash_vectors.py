"""Prints the CityHash128 known answers of plugins/destination/clickhouse/cityhash_test.cc.

ClickHouse checksums compressed blocks with CityHash v1.0.2 (not the current CityHash);
PyPI's clickhouse-cityhash (pinned in requirements.in) is that variant. Inputs are the
bytes (i*31+7) mod 256 for lengths that cross every branch of the algorithm. The package
returns one integer with the first 64-bit word in its high bits; the table prints the words
in wire order (first, second), as the C++ test expects.

    tests/peers/python/.venv/bin/python tests/peers/python/cityhash_vectors.py
"""
from clickhouse_cityhash.cityhash import CityHash128

LENGTHS = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128, 129, 143,
           144, 200, 255, 256, 257, 300, 1000, 4099]

for n in LENGTHS:
    v = CityHash128(bytes((i * 31 + 7) & 0xFF for i in range(n)))
    print("      {%d, 0x%016xULL, 0x%016xULL}," % (n, v >> 64, v & ((1 << 64) - 1)))
