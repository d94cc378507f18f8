"""Span-level precision and recall against labelled text (the corpus of ``fenji.text.corpus``).

>>> s = score_spans([(0, 11, "CN_MOBILE_PHONE"), (20, 23, "PERSON_NAME")],
...                 [(0, 11, "CN_MOBILE_PHONE"), (20, 22, "PERSON_NAME")])
>>> s["CN_MOBILE_PHONE"].recall, s["PERSON_NAME"].precision
(1.0, 0.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

Label = tuple[int, int, str]  # start, end, info type
HEURISTIC_TYPES = frozenset({"PERSON_NAME", "ADDRESS"})  # found by the segmenter, not patterns


class Labelled(Protocol):
    """A labelled document (``fenji.text.corpus.Doc``)."""

    @property
    def text(self) -> str: ...

    @property
    def labels(self) -> tuple[Label, ...]: ...


def joined(docs: Sequence[Labelled], sep: str = "\n\n") -> tuple[str, list[Label]]:
    """All documents as one text (so detection runs once) and their labels shifted into it."""
    parts, labels, pos = [], [], 0
    for d in docs:
        parts.append(d.text)
        labels += [(a + pos, b + pos, t) for a, b, t in d.labels]
        pos += len(d.text) + len(sep)
    return sep.join(parts), labels


@dataclass(frozen=True)
class Scores:
    """Span-level counts for one info type (exact type, start and end)."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score_spans(predicted: Iterable[Label], truth: Iterable[Label]) -> dict[str, Scores]:
    """Per info type, plus ``"patterns"`` (every type but names and addresses) and ``"all"``."""
    pred, gold = set(predicted), set(truth)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for x in pred & gold:
        tp[x[2]] += 1
    for x in pred - gold:
        fp[x[2]] += 1
    for x in gold - pred:
        fn[x[2]] += 1
    types = sorted(set(tp) | set(fp) | set(fn))
    out = {t: Scores(tp[t], fp[t], fn[t]) for t in types}
    groups = {"patterns": [t for t in types if t not in HEURISTIC_TYPES], "all": types}
    for group, members in groups.items():
        out[group] = Scores(*(sum(c[t] for t in members) for c in (tp, fp, fn)))
    return out


def format_scores(scores: dict[str, Scores]) -> str:
    """A plain-text table of span precision and recall per type."""
    lines = [f"{'type':24} {'tp':>5} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    for t, s in scores.items():
        lines.append(
            f"{t:24} {s.tp:5d} {s.fp:4d} {s.fn:4d} {s.precision:9.3f} {s.recall:7.3f}"
        )
    return "\n".join(lines)


