"""fenji redact: every byte outside the spans kept, modes, never the input, stdin to stdout."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fenji.cli_redact import redact_command
from fenji.errors import InputError
from fenji.text.find import find_spans
from fenji.text.redact import RedactMode, redact_file, redact_text

KEY = b"0123456789abcdef0123456789abcdef"
RIC = "11010519491231002X"
PI = ["13800138000", "+86 139 1234 5678", RIC, "zhang.wei@example.com", "6222021001123456789",
      "王芳", "192.168.1.20"]  # fmt: skip
CUES = ["手机", "电话", "身份证", "邮箱", "卡号", "联系人：", "IP "]
CLI = [
    sys.executable,
    "-c",
    "import typer; from fenji.cli_redact import redact_command; typer.run(redact_command)",
]

app = typer.Typer()
app.command()(redact_command)


def kept_outside_spans(original: str, redacted: str) -> None:
    """Walk the spans found in ``original`` (tag mode): every character between them is there,
    unchanged, and each span became its tag."""
    pos, out = 0, 0
    for t, s, e in find_spans(original).select("type", "start", "end").iter_rows():
        gap = original[pos:s]
        assert redacted[out : out + len(gap)] == gap
        out += len(gap)
        tag = f"[{t}]"
        assert redacted[out : out + len(tag)] == tag
        out += len(tag)
        pos = e
    assert redacted[out:] == original[pos:]


filler = st.text(
    alphabet=st.sampled_from(list("的了是，。！？ \t\r\n　ａ１＠abcXYZ0-_/:😀客服订单金额元")),
    max_size=12,
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(filler, st.sampled_from(CUES), st.sampled_from(PI)), max_size=5),
       filler)  # fmt: skip
def test_tag_redaction_changes_nothing_but_the_spans(
    parts: list[tuple[str, str, str]], tail: str
) -> None:
    text = "".join(f"{a}{cue}{value}" for a, cue, value in parts) + tail
    kept_outside_spans(text, redact_text(text, RedactMode.tag))


def test_modes() -> None:
    text = "客户手机13800138000，身份证11010519491231002X。"
    assert redact_text(text, RedactMode.mask) == "客户手机138****8000，身份证110***********002X。"
    tagged = "客户手机[CN_MOBILE_PHONE]，身份证[CN_RESIDENT_ID]。"
    assert redact_text(text, RedactMode.tag) == tagged
    assert "13800138000" not in redact_text(text, RedactMode.pseudonym, KEY)


def test_pseudonyms_are_keyed_and_follow_the_normalised_value() -> None:
    text = "手机13800138000，又写作+86 138 0013 8000，另一个13900001111"
    out = redact_text(text, RedactMode.pseudonym, KEY)
    first, second, other = (part[part.index("[") :] for part in out.split("，"))
    assert first == second != other
    assert first.startswith("[CN_MOBILE_PHONE:") and len(first) == len("[CN_MOBILE_PHONE:]") + 8
    assert redact_text(text, RedactMode.pseudonym, KEY) == out  # stable
    assert redact_text(text, RedactMode.pseudonym, KEY[::-1]) != out  # keyed
    with pytest.raises(InputError, match="secret key"):
        redact_text(text, RedactMode.pseudonym, None)


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8-sig", b""), ("gb18030", b"")]
)
def test_files_keep_their_encoding_bom_and_line_ends(
    tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    text = "第一行：无个人信息\r\n客户手机13800138000，\r\n末行\n"
    src, dst = tmp_path / "in.log", tmp_path / "out.log"
    src.write_bytes(prefix + text.encode(encoding))
    stats = redact_file(src, dst, RedactMode.tag)
    out = dst.read_bytes()
    assert out == text.replace("13800138000", "[CN_MOBILE_PHONE]").encode(encoding)
    assert stats.counts == {"CN_MOBILE_PHONE": 1}


def test_text_without_pi_comes_out_byte_identical_even_with_bad_bytes(tmp_path: Path) -> None:
    body = ("普通的一行文字，没有个人信息。\n" * 5000).encode("utf-8")  # past the 64 KB sniff
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_bytes(body + b"\xff\xfe broken bytes stay\n")
    redact_file(src, dst)
    assert dst.read_bytes() == src.read_bytes()


def test_the_input_is_never_overwritten(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("手机13800138000\n", encoding="utf-8")
    before = src.read_bytes()
    with pytest.raises(InputError, match="overwrite the input"):
        redact_file(src, src)
    link = tmp_path / "link.txt"
    link.symlink_to(src)
    with pytest.raises(InputError, match="overwrite the input"):
        redact_file(src, link, force=True)
    other = tmp_path / "out.txt"
    other.write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match="already exists"):
        redact_file(src, other)
    redact_file(src, other, force=True)
    assert other.read_text(encoding="utf-8") == "手机138****8000\n"
    assert src.read_bytes() == before


def test_cli_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("手机13800138000\n", encoding="utf-8")
    runner = CliRunner()
    same = runner.invoke(app, [str(src), "--output", str(src)])
    assert same.exit_code == 2 and "overwrite the input" in same.output
    docx = tmp_path / "a.docx"
    docx.write_bytes(b"PK")
    refused = runner.invoke(app, [str(docx), "-o", str(tmp_path / "b.docx")])
    assert refused.exit_code == 2 and "text files" in refused.output
    nokey = runner.invoke(app, [str(src), "--mode", "pseudonym"], env={"FENJI_KEY": ""})
    assert nokey.exit_code == 2 and "key" in nokey.output
    assert src.read_text(encoding="utf-8") == "手机13800138000\n"


def test_cli_file_to_file_and_summary(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("联系人：王芳，手机13800138000\n", encoding="utf-8")
    result = CliRunner().invoke(app, [str(src), "-o", str(dst), "--mode", "tag"])
    assert result.exit_code == 0, result.output
    assert dst.read_text(encoding="utf-8") == "联系人：[PERSON_NAME]，手机[CN_MOBILE_PHONE]\n"
    assert "2 span(s)" in result.output and "13800138000" not in result.output


@pytest.mark.slow  # a fresh interpreter loads jieba and compiles the regexes: a few seconds
def test_dash_pipes_stdin_to_stdout_line_by_line() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(CLI + ["-", "--quiet"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("客户手机13800138000\n".encode())
        proc.stdin.flush()
        # The line comes back while stdin is still open: usable in `tail -f | fenji redact -`.
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no output before end of input"
        assert proc.stdout.readline().decode() == "客户手机138****8000\n"
        proc.stdin.write(b"no pi here\r\n")
        proc.stdin.close()
        assert proc.stdout.read() == b"no pi here\r\n"
        assert proc.wait(60) == 0
    finally:
        proc.kill()
