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
