"""Redact personal information in text files and streams, leaving everything else byte-identical.

Each span found (``fenji.text.find``) is replaced by its masked form (``138****8000``), its type
tag (``[CN_MOBILE_PHONE]``) or a keyed pseudonym (``[CN_MOBILE_PHONE:3f9a2c1b]``: HMAC-SHA256 of
the normalised value under the ``fenji.deid`` token subkey, so one phone number written two ways
gets one pseudonym, and the same value gets the same pseudonym as in ``fenji deidentify``).
Text is decoded with the file's own encoding and the ``surrogateescape`` handler, and written
back the same way, so bytes outside the spans (line ends, a BOM, even invalid bytes) are kept.
The input file is never written: the output must be another path, written to a temporary file
beside it and renamed into place when complete.

>>> redact_text("客户手机13800138000，邮箱zhang.wei@example.com。", RedactMode.tag)
'客户手机[CN_MOBILE_PHONE]，邮箱[EMAIL_ADDRESS]。'
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import BinaryIO

import polars as pl

from fenji.deid.keys import HOW_TO
from fenji.deid.pseudonym import tokens
from fenji.detect.mask import mask_series
from fenji.detect.normalize import normalize
from fenji.detect.recognizer import RecognizerSet, general_recognizers
from fenji.errors import InputError, SourceError, choices
from fenji.sources.encoding import detect_encoding, read_head
from fenji.text.chunks import CHUNK_CHARS, chunked_spans
from fenji.text.context import TextContext, general_context
from fenji.text.find import find_spans

# Files redacted as text (anything else, such as .docx or .pdf, is refused).
TEXT_SUFFIXES = frozenset(
    {"", ".txt", ".text", ".md", ".markdown", ".log", ".out", ".csv", ".tsv", ".json", ".jsonl",
     ".ndjson", ".html", ".htm", ".xml", ".yaml", ".yml", ".sql", ".eml", ".ini", ".conf"}
)  # fmt: skip
PSEUDONYM_HEX = 8  # hex digits of a pseudonym: 32 bits, unique enough inside one document
STDIN_READ = 1 << 16


class RedactMode(StrEnum):
    """What replaces a span."""

    mask = "mask"  # the masked form, as reports show it: 138****8000
    tag = "tag"  # the info type: [CN_MOBILE_PHONE]
    pseudonym = "pseudonym"  # a keyed pseudonym: [CN_MOBILE_PHONE:3f9a2c1b]


@dataclass(frozen=True)
class RedactStats:
    """What a redaction did: characters read and spans replaced per info type."""

    chars: int
    counts: dict[str, int] = field(default_factory=dict)
    encoding: str = "utf_8"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def replacements(
    spans: pl.DataFrame, mode: RedactMode, key: bytes | None, rs: RecognizerSet
) -> pl.Series:
    """The replacement of each span (same order), computed per info type in bulk."""
    if mode is RedactMode.pseudonym and key is None:
        raise InputError(f"--mode pseudonym needs a secret key: {HOW_TO}")
    parts = []
    for part in spans.with_row_index("i").partition_by("type", maintain_order=True):
        info_type = str(part["type"][0])
        if mode is RedactMode.mask:
            new = mask_series(part["value"], info_type, rs).fill_null("*")
        elif mode is RedactMode.tag:
            new = pl.Series([f"[{info_type}]"] * part.height)
        else:
            assert key is not None
            canon = normalize(part["value"], info_type, rs).fill_null(part["value"])
            distinct = canon.unique(maintain_order=True)
            hexes = tokens(distinct.to_list(), key, PSEUDONYM_HEX, "")
            table = dict(zip(distinct.to_list(), hexes, strict=True))
            new = pl.Series([f"[{info_type}:{table[v]}]" for v in canon.to_list()])
        parts.append(part.select("i").with_columns(new.alias("r")))
    if not parts:
        return pl.Series("r", [], dtype=pl.String)
    return pl.concat(parts).sort("i")["r"]


def splice(text: str, offset: int, spans: pl.DataFrame, new: Iterable[str]) -> str:
    """``text`` (which starts at ``offset``) with each span replaced; spans sorted, disjoint."""
    out, pos = [], 0
    for (start, end), repl in zip(spans.select("start", "end").iter_rows(), new, strict=True):
        out += [text[pos : start - offset], repl]
        pos = end - offset
    out.append(text[pos:])
    return "".join(out)


def redact_pieces(
    pieces: Iterable[str],
    write: Callable[[str], None],
    mode: RedactMode = RedactMode.mask,
    key: bytes | None = None,
    rs: RecognizerSet | None = None,
    ctx: TextContext | None = None,
    *,
    names: bool = True,
    chunk_chars: int = CHUNK_CHARS,
) -> RedactStats:
    """Redact a text given in pieces, writing the result chunk by chunk through ``write``."""
    rs = rs or general_recognizers()
    ctx = ctx or general_context()
    if mode is RedactMode.pseudonym and key is None:
        raise InputError(f"--mode pseudonym needs a secret key: {HOW_TO}")
    find = partial(find_spans, rs=rs, ctx=ctx, names=names)
    counts: Counter[str] = Counter()
    chars = 0
    for chunk in chunked_spans(pieces, find, size=chunk_chars):
        chars += len(chunk.text)
        spans = chunk.spans.sort("start")
        counts.update(spans["type"].to_list())
        new = replacements(spans, mode, key, rs) if spans.height else pl.Series([], dtype=pl.String)
        write(splice(chunk.text, chunk.start, spans, new))
    return RedactStats(chars=chars, counts=dict(sorted(counts.items())))


def redact_text(
    text: str,
    mode: RedactMode = RedactMode.mask,
    key: bytes | None = None,
    rs: RecognizerSet | None = None,
    ctx: TextContext | None = None,
    *,
    names: bool = True,
) -> str:
    """``text`` with its personal information replaced."""
    out: list[str] = []
    redact_pieces([text], out.append, mode, key, rs, ctx, names=names)
    return "".join(out)


def _file_pieces(path: Path, encoding: str) -> Iterator[str]:
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as fh:
        while piece := fh.read(CHUNK_CHARS):
            yield piece


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_input(src: Path) -> None:
    """Refuse a missing input or a binary document (``.docx``, ``.pdf`` ...) given as text."""
    if not src.is_file():
        raise InputError(f"{src}: no such file")
    if src.suffix.lower() not in TEXT_SUFFIXES:
        raise InputError(
            f"{src}: fenji redact works on text files; {src.suffix!r} is not one "
            f"(valid: {choices(s for s in TEXT_SUFFIXES if s)} or no suffix)"
        )


def check_output(dst: Path, src: Path | None = None, force: bool = False) -> None:
    """Refuse to write the input, to replace a file unasked, or into a missing directory."""
    if src is not None and _same_file(src, dst):
        raise InputError(f"{dst}: the output would overwrite the input; choose another path")
    if dst.exists() and not force:
        raise InputError(f"{dst}: already exists (use --force to replace it)")
    if not dst.parent.is_dir():
        raise InputError(f"{dst}: directory {dst.parent} does not exist")


def write_atomically(dst: Path, fill: Callable[[BinaryIO], RedactStats], where: str) -> RedactStats:
    """Write through ``fill`` into a temporary file beside ``dst``, renamed into place only when
    complete (an error leaves no partial output)."""
    fd, tmp = tempfile.mkstemp(prefix=".fenji-redact-", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            stats = fill(out)
        os.replace(tmp, dst)
    except OSError as exc:
        raise SourceError(f"{where}: cannot redact: {exc.strerror or type(exc).__name__}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return stats


def redact_into(
    src: Path,
    out: BinaryIO,
    mode: RedactMode = RedactMode.mask,
    key: bytes | None = None,
    rs: RecognizerSet | None = None,
    ctx: TextContext | None = None,
    *,
    names: bool = True,
) -> RedactStats:
    """Redact the text file ``src`` into the byte stream ``out``, in the file's own encoding."""
    check_input(src)
    encoding = detect_encoding(src, read_head(src)) if src.stat().st_size else "utf_8"
    encoder = codecs.getincrementalencoder(encoding)(errors="surrogateescape")
    def write(text: str) -> None:
        out.write(encoder.encode(text))

    stats = redact_pieces(_file_pieces(src, encoding), write, mode, key, rs, ctx, names=names)
    out.write(encoder.encode("", final=True))
    out.flush()
    return RedactStats(stats.chars, stats.counts, encoding)


def redact_file(
    src: Path,
    dst: Path,
    mode: RedactMode = RedactMode.mask,
    key: bytes | None = None,
    rs: RecognizerSet | None = None,
    ctx: TextContext | None = None,
    *,
    names: bool = True,
    force: bool = False,
) -> RedactStats:
    """Redact the text file ``src`` into ``dst`` (same encoding); ``src`` is only read."""
    src, dst = Path(src), Path(dst)
    check_input(src)
    check_output(dst, src, force)
    return write_atomically(
        dst, lambda out: redact_into(src, out, mode, key, rs, ctx, names=names), str(src)
    )


def _stream_pieces(stream: BinaryIO, encoding: str) -> Iterator[str]:
    """Decoded pieces of a byte stream; an empty piece whenever the stream has drained."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    read = getattr(stream, "read1", stream.read)
    while data := read(STDIN_READ):
        yield decoder.decode(data)
        if len(data) < STDIN_READ:
            yield ""  # nothing more for now: process the complete lines
    yield decoder.decode(b"", final=True)


def redact_stream(
    stream: BinaryIO,
    out: BinaryIO,
    mode: RedactMode = RedactMode.mask,
    key: bytes | None = None,
    rs: RecognizerSet | None = None,
    ctx: TextContext | None = None,
    *,
    names: bool = True,
    encoding: str = "utf_8",
) -> RedactStats:
    """Redact a byte stream (standard input) into another, flushing complete lines as they come,
    so ``tail -f app.log | fenji redact -`` works in a pipeline."""
    encoder = codecs.getincrementalencoder(encoding)(errors="surrogateescape")

    def write(text: str) -> None:
        out.write(encoder.encode(text))
        out.flush()

    stats = redact_pieces(_stream_pieces(stream, encoding), write, mode, key, rs, ctx,
                          names=names)  # fmt: skip
    out.write(encoder.encode("", final=True))
    out.flush()
    return RedactStats(stats.chars, stats.counts, encoding)
