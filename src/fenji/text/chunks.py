"""Stream long texts through the span finder in windows, without losing or doubling a match.

Detection works line by line (no pattern crosses a line end, context words are looked for on the
match's line), so a window normally ends at a line break and the next starts right after it: no
overlap is needed and nothing is found twice. Only a line longer than a window (minified HTML, a
log without line breaks) is cut inside: then each window also holds ``overlap`` characters
before and after the part it owns, a span belongs to the window whose owned part holds its first
character, and the next window starts after the end of the last span taken, so a match that
straddles the cut is found whole exactly once.

A reader may yield an empty string to say "no more input for now" (a pipe that has drained):
the lines complete so far are processed at once, which keeps ``fenji redact -`` responsive in a
log pipeline.

>>> from fenji.text.find import find_spans
>>> text = "客户手机13800138000。" * 3
>>> [c.spans["start"].to_list() for c in chunked_spans([text], find_spans, size=20, overlap=16)]
[[4, 20], [36]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import polars as pl

CHUNK_CHARS = 1 << 20  # characters per window
OVERLAP_CHARS = 512  # context kept around a cut inside a line; longer than any span

Finder = Callable[[str], pl.DataFrame]


@dataclass(frozen=True)
class Chunk:
    """A stretch of the text that is final: its characters and the spans starting in it."""

    start: int  # character offset of ``text`` in the whole text
    text: str
    spans: pl.DataFrame  # absolute offsets; every span lies inside this chunk


def chunked_spans(
    pieces: Iterable[str],
    find: Finder,
    size: int = CHUNK_CHARS,
    overlap: int = OVERLAP_CHARS,
) -> Iterator[Chunk]:
    """Run ``find`` over the text the ``pieces`` make up, window by window, and yield the text
    in consecutive chunks with the spans found in each (offsets into the whole text)."""
    if size < 1 or overlap < 1:
        raise ValueError("size and overlap must be positive")
    buf = ""  # text from buf_start on
    buf_start = 0
    done = 0  # everything before this offset has been yielded
    source = iter(pieces)
    eof = False
    while True:
        flush = False
        while not eof and not flush and len(buf) - (done - buf_start) < size + overlap:
            try:
                piece = next(source)
            except StopIteration:
                eof = True
                break
            flush = piece == ""
            buf += piece
        end = buf_start + len(buf)
        if done >= end:
            if eof:
                return
            continue
        rel = done - buf_start
        line_end = buf.rfind("\n", rel)
        if eof:
            cut, window_end = end, end
        elif line_end >= 0:
            cut = window_end = buf_start + line_end + 1  # whole lines: no overlap needed
        elif flush or len(buf) - rel < size + overlap:
            continue  # a partial line: wait for the rest of it
        else:
            cut, window_end = end - overlap, end  # one long line: cut inside it
        window = buf[: window_end - buf_start]
        spans = find(window)
        if spans.height:
            spans = spans.with_columns(
                pl.col("start") + buf_start, pl.col("end") + buf_start
            ).filter((pl.col("start") >= done) & (pl.col("start") < cut))
        stop = max(cut, int(spans.select(pl.col("end").max()).item())) if spans.height else cut
        yield Chunk(done, buf[rel : stop - buf_start], spans)
        done = stop
        keep = max(buf_start, done - overlap)
        buf, buf_start = buf[keep - buf_start :], keep
