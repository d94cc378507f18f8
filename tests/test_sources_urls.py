"""Database URLs: what counts as a URL, and how one is shown without secrets."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from fenji.sources import safe_uri
from fenji.sources.dburl import looks_like_url


@pytest.mark.parametrize(
    ("target", "is_url"),
    [
        ("postgresql://u@h/db", True),
        ("mysql+pymysql://root@127.0.0.1:3306/test", True),
        ("sqlite:///data/app.db", True),
        ("data/people.csv", False),
        ("/srv/exports", False),
        ("odd name://x.csv", False),
    ],
)
def test_looks_like_url(target: str, is_url: bool) -> None:
    assert looks_like_url(target) is is_url


def test_safe_uri_hides_password_and_secret_options() -> None:
    url = make_url(
        "postgresql://app:S3cr3t%40pw@db.internal:5432/crm"
        "?sslmode=require&sslpassword=KeyPass&application_name=fenji"
    )
    shown = safe_uri(url)
    assert "S3cr3t" not in shown and "KeyPass" not in shown
    assert shown.startswith("postgresql://app:***@db.internal:5432/crm?")
    assert "sslmode=require" in shown and "application_name=fenji" in shown
