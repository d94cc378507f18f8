"""The ``fenji`` command imports only the command it runs (start-up time); ``app`` has them all."""

from __future__ import annotations

import json
import subprocess
import sys

import typer

RUN = """
import json, sys
from fenji.cli import main
sys.argv = ["fenji", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("fenji.cli_"))))
"""


def _loaded(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, timeout=120, check=True
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_scan_and_version_import_no_other_command() -> None:
    assert _loaded("scan", "--help") == []
    assert _loaded("--version") == []


def test_a_command_imports_its_own_module_only() -> None:
    assert _loaded("catalogue", "--help") == ["fenji.cli_catalogue"]
    assert _loaded("risk", "--help") == ["fenji.cli_deid"]


def test_help_and_unknown_names_list_every_command() -> None:
    from fenji.cli import COMMANDS

    loaded = {f"fenji.{COMMANDS[c][0].split('.')[-1]}" for c in COMMANDS}
    assert set(_loaded("--help")) == loaded
    assert set(_loaded("nosuch")) == loaded


def test_app_holds_every_command() -> None:
    from fenji.cli import COMMANDS, app

    group = typer.main.get_command(app)
    assert set(group.commands) == {"scan", *COMMANDS}  # type: ignore[attr-defined]
