"""Presidio's AnalyzerEngine, pattern recognizers only, over the cells of a CSV file.

    python bench/presidio_bench.py customers.csv --rows 2000     # prints JSON

The peer fenji is compared with: ``AnalyzerEngine`` with ``NoOpNlpEngine`` (no NLP model) and
four ``PatternRecognizer``s equivalent to fenji's recognizers for CN_RESIDENT_ID,
CN_MOBILE_PHONE, BANK_CARD_NUMBER and EMAIL_ADDRESS: the same regexes (rewritten for Python's
``regex`` module: ASCII lookarounds for Rust's ASCII ``\\b``) and the same check digits (MOD 11-2,
Luhn) in ``validate_result``, as Presidio's own credit-card recognizer does. Every cell is
analysed on its own, as a column scan with Presidio would.

Needs only ``presidio-analyzer`` (not fenji), so it also runs in a separate virtualenv.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

B = r"(?<![0-9A-Za-z_])"  # Rust's (?-u:\b) before a digit ...
E = r"(?![0-9A-Za-z_])"  # ... and after one
PATTERNS: dict[str, list[tuple[str, str, float]]] = {
    "CN_RESIDENT_ID": [
        (
            "ric18",
            B + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
            r"[0-9]{3}[0-9Xx]" + E,
            0.5,
        ),
        (
            "ric15",
            B + r"[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}" + E,
            0.4,
        ),
    ],
    "CN_MOBILE_PHONE": [
        (
            "mobile",
            r"(?:(?:\+|" + B + r"00)86[ -]?|" + B + r"86[ -]?|" + B + r")1[3-9][0-9]"
            r"(?:[ -]?[0-9]{4}){2}" + E,
            0.5,
        )
    ],
    "BANK_CARD_NUMBER": [
        ("plain", B + r"[0-9]{16,19}" + E, 0.5),
        ("grouped", B + r"[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?" + E, 0.5),
    ],
    "EMAIL_ADDRESS": [
        ("email", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}", 0.5)
    ],
}
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
LANGUAGE = "zh"


def ric_valid(text: str) -> bool | None:
    """ISO 7064 MOD 11-2 of an 18-character ID (None: 15-digit form, nothing to check)."""
    value = "".join(c for c in text if c.isalnum()).upper()
    if len(value) == 15:
        return None
    total = sum(int(c) * w for c, w in zip(value[:17], RIC_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17]


def luhn_valid(text: str) -> bool:
    """Luhn check of the digits of a card number (separators dropped)."""
    digits = [int(c) for c in text if c.isdigit()]
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return total % 10 == 0


def analyzer() -> Any:
    """An AnalyzerEngine with no NLP model and the four pattern recognizers."""
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    class Checked(PatternRecognizer):  # type: ignore[misc]
        def __init__(self, entity: str, check: Any) -> None:
            patterns = [Pattern(name, regex, score) for name, regex, score in PATTERNS[entity]]
            super().__init__(entity, patterns=patterns, supported_language=LANGUAGE)
            self.check = check

        def validate_result(self, pattern_text: str) -> bool | None:
            return self.check(pattern_text) if self.check else None

    checks = {"CN_RESIDENT_ID": ric_valid, "BANK_CARD_NUMBER": luhn_valid}
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for entity in PATTERNS:
        registry.add_recognizer(Checked(entity, checks.get(entity)))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}]),
        supported_languages=[LANGUAGE],
    )


def read_rows(path: Path, rows: int) -> list[dict[str, str]]:
    """The first ``rows`` data rows of a CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return [row for _, row in zip(range(rows), reader, strict=False)]


def setup(path: Path, rows: int) -> tuple[list[dict[str, str]], Any]:
    """The first ``rows`` rows and a warmed-up analyzer (regexes compiled)."""
    engine = analyzer()
    engine.analyze(text="13800138000", language=LANGUAGE)
    return read_rows(path, rows), engine


def run_once(data: list[dict[str, str]], engine: Any) -> tuple[float, int, dict[str, Counter[str]]]:
    """One pass over every cell: (seconds, bytes analysed, types found per column)."""
    found: dict[str, Counter[str]] = {}
    nbytes = 0
    start = time.perf_counter()
    for row in data:
        for column, cell in row.items():
            if not cell:
                continue
            nbytes += len(cell.encode("utf-8"))
            types = {r.entity_type for r in engine.analyze(text=cell, language=LANGUAGE)}
            found.setdefault(column, Counter()).update(types)
    return time.perf_counter() - start, nbytes, found


def result(
    rows: int, times: list[float], nbytes: int, found: dict[str, Counter[str]]
) -> dict[str, Any]:
    """The JSON the bench reads: times, their median, bytes analysed, cells found per type."""
    return {
        "rows": rows,
        "times": times,
        "seconds": statistics.median(times),
        "megabytes": nbytes / 1e6,
        "cells": {c: dict(counts) for c, counts in found.items()},
    }


def run(path: Path, rows: int, repeat: int = 3) -> dict[str, Any]:
    """Analyse every cell of the first ``rows`` rows ``repeat`` times: the seconds of each run
    (and their median), bytes analysed and cells found per type."""
    data, engine = setup(path, rows)
    passes = [run_once(data, engine) for _ in range(repeat)]
    _, nbytes, found = passes[-1]
    return result(len(data), [t for t, _, _ in passes], nbytes, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    json.dump(run(args.path, args.rows, args.repeat), sys.stdout)


if __name__ == "__main__":
    main()
