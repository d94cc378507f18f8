"""Readers for prose documents: each file type, its decoded text, and corrupt files."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from fenji.errors import SourceError
from fenji.text.documents import document_source, scan_documents
from fenji.text.readers import html_text, open_text, text_of

DATA = Path(__file__).parent / "data" / "text"
RIC = "11010519491231002X"


def make_pdf(path: Path, pages: list[str | None]) -> Path:
    """A minimal PDF (Helvetica, ASCII text); None makes a page with no text layer."""
    objects: list[bytes] = []
    kids = []
    font_id = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        page_id, content_id = 3 + 2 * i, 4 + 2 * i
        kids.append(f"{page_id} 0 R")
        if text is None:
            stream = b"0 0 1 rg 72 600 200 100 re f"  # a filled rectangle, no text
        else:
            stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    head = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()]
    body = head + objects + [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, obj in enumerate(body, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(body) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.add_paragraph("借款人：王芳")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "身份证号"
    table.rows[0].cells[1].text = RIC
    doc.sections[0].header.is_linked_to_previous = False
    doc.sections[0].header.paragraphs[0].text = "联系电话 13800138000"
    doc.save(str(path))
    return path


def make_eml(path: Path) -> Path:
    msg = EmailMessage()
    msg["From"] = "张伟 <zhang.wei@example.com>"
    msg["To"] = "li.na@example.com"
    msg["Subject"] = "合同"
    msg.set_content("您好，我的手机是13800138000。")
    msg.add_alternative("<p>身份证<b>" + RIC + "</b></p><script>var t='13900001111'</script>",
                        subtype="html")  # fmt: skip
    msg.add_attachment(b"13912345678", maintype="application", subtype="octet-stream",
                       filename="a.bin")  # fmt: skip
    path.write_bytes(bytes(msg))
    return path


def found(source) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    doc = source.documents[0]
    return [(f.type, f.masked) for f in doc.findings]


def test_plain_text_markdown_and_gbk_logs(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# 客户\n手机：13800138000\n", encoding="utf-8")
    (tmp_path / "b.log").write_bytes("客户张伟来电 13900001111\r\n".encode("gb18030"))
    md, log = scan_documents([tmp_path])
    assert (md.kind, md.encoding) == ("md", "utf_8")
    assert found(md) == [("CN_MOBILE_PHONE", "138****8000")]
    assert log.encoding == "gb18030"
    assert ("CN_MOBILE_PHONE", "139****1111") in found(log)
    assert log.documents[0].chars == len("客户张伟来电 13900001111\r\n")


def test_html_gives_visible_text_only(tmp_path: Path) -> None:
    page = ("<html><head><title>简历</title><style>.a{}</style>"
            "<script>var p='13900001111'</script></head><body><p>邮箱 a.b@example.com</p>"
            "<table><tr><td>手机</td><td>13912345678</td></tr></table>"
            "<!-- 13800138000 --></body></html>")  # fmt: skip
    text = html_text(page)
    assert "13900001111" not in text and "13800138000" not in text and ".a{}" not in text
    assert "简历" in text and "手机\t13912345678" in text
    path = tmp_path / "p.html"
    path.write_text(page, encoding="utf-8")
    assert [t for t, _ in found(document_source(path))] == ["EMAIL_ADDRESS", "CN_MOBILE_PHONE"]


def test_docx_paragraphs_tables_and_headers(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "c.docx")
    text = text_of(path)
    assert "借款人：王芳" in text and f"身份证号\t{RIC}" in text and "13800138000" in text
    types = {t for t, _ in found(document_source(path))}
    assert types == {"PERSON_NAME", "CN_RESIDENT_ID", "CN_MOBILE_PHONE"}


def test_pdf_pages_and_a_page_without_a_text_layer(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "d.pdf", ["Mail zhang.wei@example.com tel 13800138000", None])
    src = document_source(path)
    assert {t for t, _ in found(src)} == {"EMAIL_ADDRESS", "CN_MOBILE_PHONE"}
    assert src.errors == (f"{path}: page 2 has no text layer (a scanned image?): not searched",)


def test_eml_headers_and_bodies_but_not_scripts_or_attachments(tmp_path: Path) -> None:
    path = make_eml(tmp_path / "e.eml")
    text = text_of(path)
    assert text.startswith("From: 张伟 <zhang.wei@example.com>\n")
    assert "13800138000" in text and RIC in text
    assert "13900001111" not in text and "13912345678" not in text
    types = [t for t, _ in found(document_source(path))]
    assert types.count("EMAIL_ADDRESS") == 2 and "CN_RESIDENT_ID" in types


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.docx", b"PK\x03\x04 not really a zip", "corrupt or unreadable .docx file"),
        ("bad.pdf", b"%PDF-1.4\n1 0 obj garbage", "corrupt or unreadable PDF file"),
        ("bad.eml", b"\x00\x01\x02binary junk", "not an e-mail message"),
        ("bad.txt", b"abc\x00\x00def", "binary file (NUL bytes), not text"),
        ("empty.log", b"", "empty file"),
    ],
)
def test_corrupt_files_raise_a_clear_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=re.escape(message)) as err:
        list(open_text(path).pieces())
    assert str(path) in str(err.value)


def test_a_corrupt_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("手机13800138000", encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "c.txt").write_text(f"身份证{RIC}", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("手机13800138000", encoding="utf-8")
    (tmp_path / "d.csv").write_text("a,b\n", encoding="utf-8")  # a table, not a document
    sources = scan_documents([tmp_path, tmp_path / "missing.txt"])
    assert [Path(s.uri).name for s in sources] == ["a.txt", "b.pdf", "c.txt", "missing.txt"]
    assert [bool(s.errors) for s in sources] == [False, True, False, True]
    assert [len(s.documents) for s in sources] == [1, 0, 1, 0]
    assert "missing.txt: no such file or directory" in sources[3].errors[0]


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "x.xyz"
    path.write_text("hi", encoding="utf-8")
    with pytest.raises(SourceError, match=r"x\.xyz.*supported: .*\.docx.*\.eml"):
        open_text(path)


def test_checked_in_samples_read() -> None:
    for path in sorted(DATA.glob("sample.*")):
        src = document_source(path)
        assert not src.errors, src.errors
        assert src.documents[0].findings, path.name
