"""Text encoding: sniff it from the head of a file, and give Polars a UTF-8 copy when needed.

UTF-8, UTF-8 with a BOM and GBK/GB18030 are all common in Chinese exports. Polars reads only
UTF-8, so other encodings are transcoded chunk by chunk into a temporary file (never the whole
file in memory); the copy lives as long as the object that asked for it.
"""

from __future__ import annotations

import codecs
import os
import tempfile
import weakref
from pathlib import Path

from charset_normalizer import from_bytes

from fenji.errors import SourceError

HEAD_BYTES = 64 * 1024
_CHUNK_CHARS = 1 << 20

_BOMS = (
    (codecs.BOM_UTF8, "utf_8_sig"),
    (codecs.BOM_UTF32_LE, "utf_32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf_32"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
)
# GB18030 is a superset of GBK and GB2312, so it decodes anything they would.
_GB_FAMILY = {"gb18030", "gbk", "gb2312", "hz", "cp936"}
# Short Chinese samples (a header line) are often scored as Korean or Japanese double-byte text;
# fenji's inputs are overwhelmingly Chinese, so GB18030 wins when it was a candidate too.
_OTHER_EAST_ASIAN = {
    "cp949", "euc_kr", "johab", "iso2022_kr", "euc_jp", "euc_jis_2004", "euc_jisx0213",
    "shift_jis", "shift_jis_2004", "shift_jisx0213", "cp932", "iso2022_jp",
}  # fmt: skip
UTF8 = ("utf_8", "utf_8_sig")


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """First ``size`` bytes of ``path`` (a SourceError naming the file when unreadable)."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from exc


def detect_encoding(path: Path, head: bytes | None = None) -> str:
    """Python codec name for the text in ``path``: a BOM first, then strict UTF-8, then a guess.

    Raises ``SourceError`` for binary content (NUL bytes without a UTF-16/32 BOM) and for bytes
    no known encoding explains.
    """
    if head is None:
        head = read_head(path)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:
        raise SourceError(f"{path}: binary file (NUL bytes), not text")
    cut = _cut_to_line(head, path)
    try:
        cut.decode("utf-8")
        return "utf_8"
    except UnicodeDecodeError:
        pass
    matches = from_bytes(cut)
    best = matches.best()
    if best is None:
        raise SourceError(
            f"{path}: undecodable encoding (not UTF-8, GB18030 or another known text encoding)"
        )
    found = {m.encoding for m in matches}
    if best.encoding in _GB_FAMILY or (best.encoding in _OTHER_EAST_ASIAN and found & _GB_FAMILY):
        return "gb18030"
    return best.encoding


def _cut_to_line(head: bytes, path: Path) -> bytes:
    """Drop a trailing partial line so a multi-byte character is never cut in half."""
    if len(head) < HEAD_BYTES:
        return head
    end = head.rfind(b"\n")
    return head[: end + 1] if end > 0 else head


class Utf8Copy:
    """A UTF-8 path for a text file: the file itself, or a transcoded temporary copy."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.encoding = encoding
        self._copy: Path | None = None

    def get(self) -> Path:
        """Path of UTF-8 text with the same content (transcoded on first use)."""
        if self.encoding in UTF8:
            return self.path  # Polars skips a UTF-8 BOM itself
        if self._copy is None:
            self._copy = _transcode(self.path, self.encoding)
            weakref.finalize(self, _unlink, self._copy)
        return self._copy


def _transcode(path: Path, encoding: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="fenji-utf8-", suffix=path.suffix)
    out = Path(name)
    done = 0
    try:
        with (
            path.open("r", encoding=encoding, errors="strict", newline="") as src,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(_CHUNK_CHARS):
                dst.write(chunk)
                done += len(chunk)
    except UnicodeDecodeError as exc:
        _unlink(out)
        raise SourceError(
            f"{path}: undecodable encoding: not valid {encoding} "
            f"(bad bytes within {_CHUNK_CHARS:,} characters after character {done:,})"
        ) from exc
    except OSError as exc:
        _unlink(out)
        raise SourceError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from exc
    return out


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)
