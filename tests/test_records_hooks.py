"""`fenji check` and `fenji exports record` append to the tamper-evident log."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fenji.cli import app
from fenji.records.log import entries

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENJI_KEY", "00112233445566778899aabbccddeeff")


def test_check_decision_logged_only_with_a_catalogue(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cat.db'}"
    activity = str(EXAMPLES / "export_small_de.yaml")
    res = runner.invoke(app, ["check", activity, "-f", "json"])
    assert res.exit_code in (0, 1), res.output
    assert not (tmp_path / "cat.db").exists()
    res = runner.invoke(app, ["check", activity, "--catalogue", url, "-f", "json"])
    assert res.exit_code in (0, 1), res.output
    logged = entries(url, "check.")
    assert len(logged) == 1
    assert logged[0].kind == "check.decision"
    verify = runner.invoke(app, ["records", "verify", "--catalogue", url])
    assert verify.exit_code == 0, verify.output


def test_exports_record_logged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cat.db'}"
    activity = str(EXAMPLES / "export_small_de.yaml")
    res = runner.invoke(app, ["exports", "record", activity, "--catalogue", url,
                              "--date", "2026-03-01"])
    assert res.exit_code == 0, res.output
    kinds = [e.kind for e in entries(url, "exports.")]
    assert kinds == ["exports.record"]
