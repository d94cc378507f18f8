"""``import fenji`` sets Polars' allocator default (decision 20): checked in fresh interpreters,
since it can only take effect before Polars is first imported."""

from __future__ import annotations

import os
import subprocess
import sys

from fenji import ALLOCATOR_CONF, ALLOCATOR_ENV

SHOW = "import os, sys; print(os.environ.get(sys.argv[1], ''))"


def _run(code: str, env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    if env_value is not None:
        env[ALLOCATOR_ENV] = env_value
    return subprocess.run(
        [sys.executable, "-c", code, ALLOCATOR_ENV],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_import_sets_the_default_and_polars_takes_it_last() -> None:
    out = _run(f"import fenji; {SHOW}", None)
    assert out.stdout.strip() == ALLOCATOR_CONF
    # Polars prepends its own setting and appends ours: ours wins, and jemalloc accepts it (it
    # complains on stderr about any pair it cannot parse).
    out = _run(f"import fenji, polars as pl; pl.DataFrame({{'a': [1]}}).sum(); {SHOW}", None)
    assert out.stdout.strip().endswith("," + ALLOCATOR_CONF)
    assert "jemalloc" not in out.stderr


def test_a_value_the_user_set_is_kept() -> None:
    out = _run(f"import fenji; {SHOW}", "dirty_decay_ms:0")
    assert out.stdout.strip() == "dirty_decay_ms:0"


def test_nothing_is_set_when_polars_alone_is_imported() -> None:
    out = _run(f"import polars; {SHOW}", None)
    assert ALLOCATOR_CONF not in out.stdout
