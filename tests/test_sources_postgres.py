"""PostgreSQL sources on the real server: schemas, types, TABLESAMPLE, privileges, read-only."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from fenji.errors import SourceError
from fenji.sources import DatabaseSource, TableReader, open_sources, sql_table

pytestmark = pytest.mark.pg
ROWS = 600


@dataclass(frozen=True)
class PgFixture:
    url: str  # admin URL as the user would type it
    schema: str
    role: str


@pytest.fixture(scope="module")
def pg(pg_url: str) -> Iterator[PgFixture]:
    tag = uuid.uuid4().hex[:8]
    schema, role = f"src_{tag}", f"src_ro_{tag}"
    admin = sa.create_engine(make_url(pg_url).set(drivername="postgresql+psycopg"))
    seen = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {schema}.people (id integer PRIMARY KEY, code text, "
                "phone bigint, born date, seen timestamptz, photo bytea, card numeric(20,0), "
                "tags text[], meta jsonb)"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {schema}.people VALUES "
                "(:id, :code, :phone, :born, :seen, :photo, :card, :tags, :meta)"
            ),
            [
                {
                    "id": i,
                    "code": f"{i:06d}",
                    "phone": 13800000000 + i,
                    "born": date(1990, 1, 1) + timedelta(days=i),
                    "seen": seen,
                    "photo": b"\x00\xff",
                    "card": 62220202001123456789 + i,
                    "tags": ["vip", "北京"],
                    "meta": '{"city": "北京"}',
                }
                for i in range(ROWS)
            ],
        )
        conn.execute(sa.text(f"CREATE TABLE {schema}.secret (id integer, ssn text)"))
        conn.execute(sa.text(f"INSERT INTO {schema}.secret VALUES (1, '110101199003074514')"))
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
        conn.execute(sa.text(f"GRANT SELECT ON {schema}.people TO {role}"))
    yield PgFixture(pg_url, schema, role)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        conn.execute(sa.text(f"DROP OWNED BY {role}"))
        conn.execute(sa.text(f"DROP ROLE {role}"))
    admin.dispose()


def open_db(url: str, tables: str) -> DatabaseSource:
    (source,) = open_sources([url], tables=tables)
    assert isinstance(source, DatabaseSource), source
    return source


def read_tables(source: DatabaseSource) -> dict[str, TableReader | SourceError]:
    out: dict[str, TableReader | SourceError] = {}
    for table in source.tables():
        name = table.name if isinstance(table, TableReader) else str(table).split(" table ")[1]
        out[name.split(":")[0]] = table
    return out


def people(pg: PgFixture) -> tuple[DatabaseSource, TableReader]:
    source = open_db(pg.url, f"{pg.schema}.people")
    (table,) = source.tables()
    assert isinstance(table, TableReader), table
    return source, table


def test_schema_qualified_tables_types_and_binary_skip(pg: PgFixture) -> None:
    source = open_db(pg.url, f"{pg.schema}.*")
    assert source.kind == "postgresql"
    tables = read_tables(source)
    assert sorted(tables) == [f"{pg.schema}.people", f"{pg.schema}.secret"]
    table = tables[f"{pg.schema}.people"]
    assert isinstance(table, TableReader)
    assert table.row_count() == (ROWS, True)
    assert "photo" not in table.columns()
    assert any("photo" in w and "binary" in w for w in table.warnings)
    df = table.sample(None, seed=0).sort("id")
    assert df.height == ROWS
    assert df.schema["code"] == pl.String and df.get_column("code")[0] == "000000"
    assert df.schema["phone"] == pl.Int64
    assert df.schema["born"] == pl.Date
    assert df.schema["seen"] == pl.Datetime("us", "UTC")
    assert df.get_column("seen")[0] == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    assert df.get_column("card")[1] == "62220202001123456790"  # numeric: every digit kept
    assert "北京" in df.get_column("tags")[0] and "北京" in df.get_column("meta")[0]
    source.close()


def test_tablesample_is_repeatable_and_exact_in_size(pg: PgFixture) -> None:
    source, table = people(pg)
    first = table.sample(100, seed=5)
    assert first.height == 100
    assert first.equals(table.sample(100, seed=5))
    assert not first.sort("id").equals(table.sample(100, seed=6).sort("id"))
    ids = first.get_column("id").to_numpy()
    assert len(set(ids)) == 100
    assert ids.max() > ROWS * 0.8 and ids.min() < ROWS * 0.2
    assert table.sample(ROWS + 10, seed=1).height == ROWS
    source.close()


def test_large_table_uses_statistics(pg: PgFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_table, "EXACT_COUNT_BELOW", 100)
    admin = sa.create_engine(make_url(pg.url).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(sa.text(f"ANALYZE {pg.schema}.people"))
    admin.dispose()
    source, table = people(pg)
    rows, exact = table.row_count()
    assert exact is False and rows is not None and ROWS * 0.9 <= rows <= ROWS * 1.1
    source.close()


def test_table_without_privilege_is_an_error_and_others_read(pg: PgFixture) -> None:
    url = make_url(pg.url).set(username=pg.role, password=None)
    source = open_db(url.render_as_string(hide_password=False), f"{pg.schema}.*")
    tables = read_tables(source)
    secret = tables[f"{pg.schema}.secret"]
    assert isinstance(secret, SourceError)
    assert "permission denied" in str(secret) and f"{pg.schema}.secret" in str(secret)
    assert "\n" not in str(secret)
    readable = tables[f"{pg.schema}.people"]
    assert isinstance(readable, TableReader) and readable.row_count() == (ROWS, True)
    source.close()


def test_connection_is_read_only(pg: PgFixture) -> None:
    source, table = people(pg)
    with source.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        conn.execute(sa.text(f"DELETE FROM {pg.schema}.people"))
    with source.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        conn.execute(sa.text(f"CREATE TABLE {pg.schema}.src_should_not_exist (a int)"))
    assert table.row_count() == (ROWS, True)
    source.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_password_never_shown(pg: PgFixture) -> None:
    secret = "pw-Zq81-never-shown"
    url = make_url(pg.url).set(password=secret).render_as_string(hide_password=False)
    source = open_db(url, f"{pg.schema}.people")  # trust auth: any password is accepted
    assert secret not in source.uri and "***" in source.uri
    assert source.uri.startswith("postgresql://")  # the scheme the user wrote
    source.close()
    refused = f"postgresql://postgres:{secret}@127.0.0.1:{free_port()}/test"
    (err,) = open_sources([refused])
    assert isinstance(err, SourceError)
    assert secret not in str(err) and "cannot connect" in str(err) and "***" in str(err)
