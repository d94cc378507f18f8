"""All spans of personal information in one window of text, overlaps resolved.

>>> text = "联系人：王芳，手机13800138000，住址：浙江省杭州市西湖区文三路478号3栋201室。"
>>> find_spans(text).select("type", "value").rows()  # doctest: +NORMALIZE_WHITESPACE
[('PERSON_NAME', '王芳'), ('CN_MOBILE_PHONE', '13800138000'),
 ('ADDRESS', '浙江省杭州市西湖区文三路478号3栋201室')]
"""

from __future__ import annotations

import re

import polars as pl

from fenji.detect.recognizer import RecognizerSet, general_recognizers
from fenji.text.address import address_regexes, address_spans
from fenji.text.context import TextContext, general_context
from fenji.text.names import name_regexes, name_spans
from fenji.text.overlap import resolve
from fenji.text.spans import (
    find_patterns,
    lines_frame,
    score_matches,
    sentinel_for,
    text_patterns,
)

SURROGATES = re.compile("[\ud800-\udfff]")


def find_spans(
    text: str,
    rs: RecognizerSet | None = None,
    ctx: TextContext | None = None,
    *,
    names: bool = True,
) -> pl.DataFrame:
    """Spans (``type``, ``start``, ``end``, ``score``, ``detector``, ``value``) of PI in
    ``text``, sorted by start, one per stretch of text. ``names=False`` skips PERSON_NAME and
    ADDRESS (the only detectors that call the segmenter)."""
    rs = rs or general_recognizers()
    ctx = ctx or general_context()
    if SURROGATES.search(text):  # undecodable bytes kept by surrogateescape: not UTF-8
        text = SURROGATES.sub("\ufffd", text)  # one character for one: offsets hold
    lines = lines_frame(text)
    patterns = text_patterns(rs, ctx)
    extra = name_regexes(ctx.person_name) | address_regexes(ctx.address) if names else {}
    found = find_patterns(lines, patterns, sentinel_for(text), ctx, extra)
    spans = score_matches(found, patterns, lines, ctx)
    if names:
        spans = pl.concat(
            [spans, name_spans(found, lines, spans, ctx), address_spans(found, lines, ctx)],
            how="vertical_relaxed",
        )
    return resolve(spans).sort("start")
