"""Column classification precision and recall on the five synthetic tables of ``fenji.synth``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fenji.scan import ScanOptions, scan
from fenji.synth import LABELS, make_tables


def precision_recall(rows: int, seed: int) -> tuple[float, float, list[str]]:
    """(precision, recall, mismatches) of (column, info type) pairs of a default sampled scan
    against the generator's ground-truth labels."""
    tables = make_tables(rows, seed)
    tp = fp = fn = 0
    mistakes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in tables.items():
            df.write_parquet(Path(tmp) / f"{name}.parquet")
        result = scan([tmp], ScanOptions(individuals=False))
    for source in result.sources:
        for table in source.tables:
            truth = LABELS.get(table.name, {})
            for col in table.columns:
                found = {h.type for h in col.info_types}
                expected = set(truth.get(col.name, set()))
                tp += len(found & expected)
                fp += len(found - expected)
                fn += len(expected - found)
                if found != expected:
                    where = f"{table.name}.{col.name}"
                    mistakes.append(f"{where}: found {sorted(found)} expected {sorted(expected)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, mistakes
