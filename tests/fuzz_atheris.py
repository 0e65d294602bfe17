"""Coverage-guided fuzzing of the importer with atheris (libFuzzer), run by hand; not part of pytest.

The contract is the one of ``tests/test_fuzz.py``: any bytes under any of the accepted names give a
dataset or a ``DataError`` whose problems render in English and Chinese; crashes already reported
(``KNOWN_BUGS`` there) are tolerated. The first byte of an input picks the file name, the rest is the file.

    pip install atheris
    mkdir -p /tmp/retrofit-corpus
    python tests/fuzz_atheris.py /tmp/retrofit-corpus -max_total_time=300

An empty corpus folder is seeded with the valid tiny list as CSV, zip and workbook. A crash stops the
run, prints the traceback and writes the input as ``crash-<hash>``; replay it with
``python tests/fuzz_atheris.py crash-<hash>``. ``FUZZ_STRICT=1`` tolerates nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["optimizer"]):
    from optimizer.data.checks import build_dataset
    from optimizer.data.problems import DataError
    from optimizer.data.reading import read_bytes

from tests.test_fuzz import BASES, _assert_problems_render, _known_bug  # noqa: E402

NAMES = ["facilities.csv", "projects.csv", "清单.csv", "list.xlsx", "list.zip", "products.csv", "x.CSV"]


def one_input(data: bytes) -> None:
    if not data:
        return
    name, content = NAMES[data[0] % len(NAMES)], data[1:]
    try:
        build_dataset(read_bytes(name, content), name="fuzz")
    except DataError as error:
        _assert_problems_render(error)
    except Exception as error:
        if _known_bug(error) is None:
            raise


def _seed(corpus: Path) -> None:
    if corpus.is_dir() and not any(corpus.iterdir()):
        suffixes = [n.rsplit(".", 1)[1].lower() for n in NAMES]
        for number, base in enumerate(BASES):
            kind = "xlsx" if base.startswith(b"PK") and b"xl/" in base else "zip" if base.startswith(b"PK") else "csv"
            (corpus / f"seed-{number}").write_bytes(bytes([suffixes.index(kind)]) + base)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        if not argument.startswith("-"):
            _seed(Path(argument))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
