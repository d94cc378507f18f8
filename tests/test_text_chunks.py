"""Streaming in windows: a match on a window boundary is neither lost nor doubled."""

from __future__ import annotations

import random
from functools import partial

import pytest

from fenji.text.chunks import chunked_spans
from fenji.text.corpus import make_corpus
from fenji.text.find import find_spans
from fenji.text.scoring import joined

FIND = partial(find_spans, names=False)


def rows(text: str) -> list[tuple[str, int, int]]:
    return list(FIND(text).select("type", "start", "end").iter_rows())


def streamed(pieces: list[str], size: int, overlap: int) -> tuple[str, list[tuple[str, int, int]]]:
    text, found = "", []
    for chunk in chunked_spans(pieces, FIND, size=size, overlap=overlap):
        assert chunk.start == len(text)  # chunks are consecutive and complete
        text += chunk.text
        found += list(chunk.spans.select("type", "start", "end").iter_rows())
    return text, found


def cut(text: str, seed: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(text):
        n = rng.randint(1, longest)
        pieces.append(text[i : i + n])
        i += n
    return pieces


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return joined(make_corpus(30, seed=5))[0]


@pytest.mark.parametrize(("size", "overlap"), [(40, 64), (200, 64), (5000, 512)])
def test_streamed_windows_find_exactly_what_one_window_finds(
    corpus_text: str, size: int, overlap: int
) -> None:
    text, found = streamed(cut(corpus_text, size, 97), size, overlap)
    assert text == corpus_text
    assert found == rows(corpus_text)


@pytest.mark.parametrize("size", [20, 23, 29, 33])
def test_one_long_line_cut_inside_keeps_every_match_once(size: int) -> None:
    # No line breaks at all: windows must cut inside the line, right through identifiers.
    line = "".join(f"客户{i}手机1380013{i:04d}，邮箱u{i}@example.com；" for i in range(40))
    text, found = streamed([line], size, overlap=48)
    assert text == line
    assert found == rows(line)
    assert [t for t, _, _ in found].count("CN_MOBILE_PHONE") == 40


def test_a_drained_stream_flushes_complete_lines_at_once() -> None:
    seen: list[str] = []

    def pieces():  # type: ignore[no-untyped-def]
        yield "手机13800138000\n半行"
        yield ""  # the pipe has nothing more for now
        seen.append("asked for more")
        yield "的尾巴\n"

    chunks = chunked_spans(pieces(), FIND, size=1 << 20, overlap=64)
    first = next(chunks)
    assert first.text == "手机13800138000\n" and seen == []  # emitted before reading on
    assert first.spans["type"].to_list() == ["CN_MOBILE_PHONE"]
    rest = list(chunks)
    assert "".join(c.text for c in rest) == "半行的尾巴\n"


def test_empty_input_yields_nothing() -> None:
    assert list(chunked_spans([], FIND)) == []
    assert list(chunked_spans(["", ""], FIND)) == []


def test_window_sizes_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(chunked_spans(["x"], FIND, size=0))
