"""Shared fixtures: real database URLs from the environment (set by .ci/run)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


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


@pytest.fixture(params=["sqlite", "pg", "mysql"])
def catalogue_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend (a new database for PostgreSQL/MariaDB)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cat.db'}"
        return
    from fenji.catalogue import resolve_url

    base = resolve_url(request.getfixturevalue(f"{request.param}_url"))
    name = f"fenji_test_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if request.param == "pg" else ""
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}{force}"))
        admin.dispose()
