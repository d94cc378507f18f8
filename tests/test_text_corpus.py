"""Span-level precision and recall on the project's labelled prose corpus.

The corpus (``tests/data/text/corpus.jsonl``) was written by ``python -m fenji.text.corpus --docs
400 --seed 2024 --out tests/data/text/corpus.jsonl``; a second, freshly generated corpus with
another seed guards against tuning to the stored file. Scoring is exact: type, start and end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fenji.text.corpus import LABELLED_SLOTS, make_corpus, read_corpus, write_corpus
from fenji.text.find import find_spans
from fenji.text.scoring import HEURISTIC_TYPES, Scores, format_scores, joined, score_spans

CORPUS = Path(__file__).parent / "data" / "text" / "corpus.jsonl"
PATTERN_FLOOR = 0.95
HEURISTIC_FLOOR = 0.85
MIN_SUPPORT = 20  # per-type floors apply to types with at least this many labels


def evaluate(docs) -> dict[str, Scores]:  # type: ignore[no-untyped-def]
    text, truth = joined(docs)
    spans = find_spans(text)
    predicted = [(s, e, t) for t, s, e in spans.select("type", "start", "end").iter_rows()]
    scores = score_spans(predicted, truth)
    print(format_scores(scores))  # shown with pytest -s
    return scores


def check(scores: dict[str, Scores]) -> None:
    for group, floor in (("patterns", PATTERN_FLOOR),):
        assert scores[group].precision >= floor and scores[group].recall >= floor, group
    for info_type, s in scores.items():
        if info_type in ("patterns", "all") or s.tp + s.fn < MIN_SUPPORT:
            continue
        floor = HEURISTIC_FLOOR if info_type in HEURISTIC_TYPES else PATTERN_FLOOR
        assert s.precision >= floor, (info_type, s)
        assert s.recall >= floor, (info_type, s)


@pytest.fixture(scope="module")
def stored() -> dict[str, Scores]:
    return evaluate(read_corpus(CORPUS))


def test_stored_corpus_meets_the_floors(stored: dict[str, Scores]) -> None:
    check(stored)
    for info_type in ("PERSON_NAME", "ADDRESS"):
        assert stored[info_type].tp + stored[info_type].fn >= 100


def test_stored_corpus_covers_every_labelled_type(stored: dict[str, Scores]) -> None:
    assert set(LABELLED_SLOTS.values()) <= set(stored)


def test_a_fresh_corpus_with_another_seed_meets_the_floors() -> None:
    check(evaluate(make_corpus(150, seed=99)))


def test_generator_is_seeded_and_labels_are_exact(tmp_path: Path) -> None:
    first, again = make_corpus(25, seed=3), make_corpus(25, seed=3)
    assert first == again
    assert first != make_corpus(25, seed=4)
    for doc in first:
        for start, end, info_type in doc.labels:
            value = doc.text[start:end]
            assert value and value == value.strip(), (doc.id, info_type)
    write_corpus(first, tmp_path / "c.jsonl")
    assert read_corpus(tmp_path / "c.jsonl") == first


def test_corpus_holds_hard_negatives() -> None:
    text = "\n".join(d.text for d in read_corpus(CORPUS))
    for marker in ("订单号", "流水号", "运单号", "版本", "****", "金额", "HT-"):
        assert marker in text, marker


def test_scores_count_exact_matches_only() -> None:
    truth = [(0, 11, "CN_MOBILE_PHONE"), (20, 22, "PERSON_NAME")]
    predicted = [(0, 11, "CN_MOBILE_PHONE"), (20, 23, "PERSON_NAME"), (30, 40, "IMEI")]
    s = score_spans(predicted, truth)
    assert (s["CN_MOBILE_PHONE"].tp, s["PERSON_NAME"].fp, s["PERSON_NAME"].fn) == (1, 1, 1)
    assert (s["patterns"].tp, s["patterns"].fp, s["all"].fn) == (1, 1, 1)
