"""Decoded text of documents, streamed in pieces: plain text, HTML, Word, PDF, e-mail.

``open_text(path)`` returns a ``TextSource`` whose ``pieces()`` yields the decoded text; offsets
in findings are character offsets into exactly that text. Problems raise ``SourceError`` naming
the file (never a value from it); pages or parts that cannot be searched are recorded in
``notes``, which callers report.

| suffix | text |
|---|---|
| .txt .md .markdown .log | the file, in the encoding sniffed like CSV files (UTF-8, GB18030 ...) |
| .html .htm | visible text: no tags, scripts or styles; block elements end lines |
| .docx | paragraphs and table rows (cells joined by tabs), then headers and footers |
| .pdf | each page's text layer; a page without one is noted |
| .eml | every header, then each text/plain and text/html body (attachments are not read) |
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fenji.errors import SourceError, choices
from fenji.sources.encoding import detect_encoding, read_head

READ_CHARS = 1 << 20

# Suffix (lower case) -> kind, for the documents fenji reads as prose.
DOCUMENT_KINDS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".log": "log",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
    ".eml": "eml",
}
# Headers an e-mail message has at least one of (anything else is not an e-mail).
MAIL_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "mime-version")


@dataclass
class TextSource:
    """A document opened for reading: its kind, encoding and decoded text in pieces."""

    path: Path
    kind: str
    encoding: str | None
    _pieces: Callable[[TextSource], Iterator[str]]
    notes: list[str] = field(default_factory=list)  # filled while pieces are read

    def pieces(self) -> Iterator[str]:
        """The decoded text, in pieces (each call reads the document again)."""
        return self._pieces(self)


def open_text(path: Path, *, errors: str = "strict") -> TextSource:
    """Open a document for its text. ``errors`` is the decoding error handler for plain-text
    files (``surrogateescape`` keeps undecodable bytes, for redaction)."""
    path = Path(path)
    kind = DOCUMENT_KINDS.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"{path}: not a document fenji reads as text ({path.suffix or 'no suffix'}); "
            f"supported: {choices(DOCUMENT_KINDS)}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    if size == 0:
        raise SourceError(f"{path}: empty file")
    if kind in ("txt", "md", "log"):
        encoding = detect_encoding(path, read_head(path))
        return TextSource(path, kind, encoding, lambda s: _plain(s, errors))
    if kind == "html":
        encoding = detect_encoding(path, read_head(path))
        return TextSource(path, kind, encoding, _html_file)
    if kind == "docx":
        _docx_document(path)  # a corrupt file fails here, before any text is used
        return TextSource(path, kind, None, _docx)
    if kind == "pdf":
        _pdf_reader(path)
        return TextSource(path, kind, None, _pdf)
    _eml_message(path)
    return TextSource(path, kind, None, _eml)


def _plain(src: TextSource, errors: str) -> Iterator[str]:
    assert src.encoding is not None
    done = 0
    try:
        with src.path.open(encoding=src.encoding, errors=errors, newline="") as fh:
            while piece := fh.read(READ_CHARS):
                done += len(piece)
                yield piece
    except UnicodeDecodeError:
        raise SourceError(
            f"{src.path}: undecodable encoding: not valid {src.encoding} "
            f"(bad bytes within {READ_CHARS:,} characters after character {done:,})"
        ) from None
    except OSError as exc:
        raise SourceError(f"{src.path}: cannot read: {exc.strerror or 'unreadable'}") from None


# --- HTML ------------------------------------------------------------------------------------

HIDDEN = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "header", "footer", "table", "ul", "ol", "blockquote", "pre", "hr", "dt", "dd", "title",
          "address", "form", "main", "nav", "aside", "figure", "figcaption", "body",
          "html"}  # fmt: skip
CELLS = {"td", "th"}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class VisibleText(HTMLParser):
    """Collects the text a browser shows: no tags, scripts, styles or the document head (its
    title excepted); block elements end lines, table cells are separated by tabs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._hidden = 0
        self._title = False
        self._pre = 0

    @property
    def _visible(self) -> bool:
        return self._title or not self._hidden

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)
        if tag == "title":
            self._title = True
        elif tag in HIDDEN:
            self._hidden += 1
        elif tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._title = False
        elif tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def _break(self, tag: str) -> None:
        if not self._visible or not self.out:
            return
        if tag in BLOCKS and not self.out[-1].endswith("\n"):
            self.out.append("\n")
        elif tag in CELLS and not self.out[-1].endswith(("\n", "\t")):
            self.out.append("\t")

    def handle_data(self, data: str) -> None:
        if self._visible:
            self.out.append(data if self._pre else _SPACES.sub(" ", data))


def html_text(markup: str) -> str:
    """Visible text of an HTML document or fragment."""
    parser = VisibleText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)


def _html_file(src: TextSource) -> Iterator[str]:
    parser = VisibleText()
    for piece in _plain(src, "strict"):
        parser.feed(piece)
        text = "".join(parser.out[:-1])
        parser.out = parser.out[-1:]
        if text:
            yield text
    parser.close()
    yield "".join(parser.out)


# --- Word ------------------------------------------------------------------------------------


def _docx_document(path: Path) -> Any:
    try:
        import docx
    except ImportError:  # pragma: no cover - python-docx is a dependency
        raise SourceError(
            f"{path}: reading .docx needs python-docx (pip install python-docx)"
        ) from None
    try:
        return docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile, lxml and KeyError errors alike
        raise SourceError(
            f"{path}: corrupt or unreadable .docx file ({type(exc).__name__})"
        ) from None


def _docx(src: TextSource) -> Iterator[str]:
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = _docx_document(src.path)
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, doc).text + "\n"
        elif child.tag == qn("w:tbl"):
            for row in Table(child, doc).rows:
                yield "\t".join(cell.text for cell in row.cells) + "\n"
    for section in doc.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous:
                for p in part.paragraphs:
                    if p.text:
                        yield p.text + "\n"


# --- PDF -------------------------------------------------------------------------------------


def _pdf_reader(path: Path) -> Any:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-file chatter on stderr
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(f"{path}: encrypted PDF: cannot read its text")
        len(reader.pages)
    except SourceError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError ...
        raise SourceError(
            f"{path}: corrupt or unreadable PDF file ({type(exc).__name__})"
        ) from None
    return reader


def _pdf(src: TextSource) -> Iterator[str]:
    reader = _pdf_reader(src.path)
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # a broken content stream on one page
            src.notes.append(f"{src.path}: page {number}: text not readable ({type(exc).__name__})")
            text = ""
        if not text.strip():
            src.notes.append(
                f"{src.path}: page {number} has no text layer (a scanned image?): not searched"
            )
        yield text + "\n"


# --- e-mail ----------------------------------------------------------------------------------


def _eml_message(path: Path) -> EmailMessage:
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
            fh.seek(0)
            msg = BytesParser(policy=policy.default).parse(fh)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or 'unreadable'}") from None
    keys = {k.lower() for k in msg}
    if b"\x00" in head or not keys & set(MAIL_HEADERS):
        raise SourceError(f"{path}: not an e-mail message (no From, To, Subject or Date header)")
    assert isinstance(msg, EmailMessage)
    return msg


def _body(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError, AttributeError):  # unknown charset, broken encoding
        raw = part.get_payload(decode=True)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def _eml(src: TextSource) -> Iterator[str]:
    msg = _eml_message(src.path)
    for name, value in msg.items():
        yield f"{name}: {value}\n"
    yield "\n"
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        if filename is None and ctype == "text/plain":
            yield _body(part) + "\n"
        elif filename is None and ctype == "text/html":
            yield html_text(_body(part)) + "\n"


def text_of(path: Path) -> str:
    """The whole decoded text of a document (for small documents and tests)."""
    return "".join(open_text(path).pieces())

