"""What the tests share and the benchmarks reuse: the brute-force oracle, the instance families, the browser server.

Imported like any module (``from tests.support.oracle import brute_force``), never through ``sys.path``.
"""
