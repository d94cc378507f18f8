"""Shared fixtures: real database URLs from the environment (set by .ci/run)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("FENJI_TEST_PG_URL")
    if not url:
        pytest.skip("FENJI_TEST_PG_URL is not set (.ci/run sets it); PostgreSQL tests skipped")
    return url


@pytest.fixture(scope="session")
def mysql_url() -> str:
    url = os.environ.get("FENJI_TEST_MYSQL_URL")
    if not url:
        pytest.skip("FENJI_TEST_MYSQL_URL is not set (.ci/run sets it); MariaDB tests skipped")
    return url


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's default catalogue or key file."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("FENJI_CATALOGUE", raising=False)
