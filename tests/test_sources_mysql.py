"""MariaDB/MySQL sources against the real server: types, RAND(seed) and key-range samples,
privileges, wrong passwords and read-only connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from fenji.errors import SourceError
from fenji.sources import DatabaseSource, TableReader, open_sources, sql_sample

pytestmark = pytest.mark.mysql
ROWS = 500


@dataclass(frozen=True)
class MyFixture:
    url: str  # admin URL
    prefix: str
    user: str
    password: str

    def user_url(self, password: str | None = None) -> str:
        url = make_url(self.url).set(username=self.user, password=password or self.password)
        return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def my(mysql_url: str) -> Iterator[MyFixture]:
    tag = uuid.uuid4().hex[:8]
    prefix, user, password = f"src_{tag}", f"src_{tag}", f"pw-{tag}-Xy9"
    admin = sa.create_engine(mysql_url)
    with admin.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {prefix}_people (id INT AUTO_INCREMENT PRIMARY KEY, "
                "code VARCHAR(12), name VARCHAR(20), phone BIGINT, big BIGINT UNSIGNED, "
                "born DATE, seen DATETIME, photo BLOB, card DECIMAL(20,0)) CHARACTER SET utf8mb4"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {prefix}_people (code, name, phone, big, born, seen, photo, card) "
                "VALUES (:code, :name, :phone, :big, :born, :seen, :photo, :card)"
            ),
            [
                {
                    "code": f"{i:06d}",
                    "name": f"张{i}伟",
                    "phone": 13800000000 + i,
                    "big": 18446744073709551615 - i,
                    "born": date(1990, 1, 1),
                    "seen": datetime(2024, 5, 1, 8, 30),
                    "photo": b"\x00\xff",
                    "card": 62220202001123456789 + i,
                }
                for i in range(ROWS)
            ],
        )
        conn.execute(sa.text(f"CREATE TABLE {prefix}_secret (id INT, ssn VARCHAR(18))"))
        conn.execute(sa.text(f"INSERT INTO {prefix}_secret VALUES (1, '110101199003074514')"))
        conn.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        conn.execute(sa.text(f"GRANT SELECT ON test.{prefix}_people TO '{user}'@'%'"))
        conn.execute(sa.text(f"GRANT INSERT ON test.{prefix}_secret TO '{user}'@'%'"))
    yield MyFixture(mysql_url, prefix, user, password)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {prefix}_people, {prefix}_secret"))
    admin.dispose()


def open_db(url: str, tables: str) -> DatabaseSource:
    (source,) = open_sources([url], tables=tables)
    assert isinstance(source, DatabaseSource), source
    return source


def people(my: MyFixture) -> tuple[DatabaseSource, TableReader]:
    source = open_db(my.url, f"{my.prefix}_people")
    (table,) = source.tables()
    assert isinstance(table, TableReader), table
    return source, table


def test_tables_in_default_schema_keep_their_names_and_types(my: MyFixture) -> None:
    source = open_db(my.url, f"{my.prefix}_*")
    assert source.kind == "mysql"
    tables = [t for t in source.tables() if isinstance(t, TableReader)]
    assert [t.name for t in tables] == [f"{my.prefix}_people", f"{my.prefix}_secret"]
    table = tables[0]
    assert table.row_count() == (ROWS, True)
    assert "photo" not in table.columns()
    assert any("photo" in w and "binary" in w for w in table.warnings)
    df = table.sample(None, seed=0).sort("id")
    assert df.get_column("code")[0] == "000000"
    assert df.get_column("name")[7] == "张7伟"
    assert df.schema["phone"] == pl.Int64
    assert df.get_column("big")[0] == "18446744073709551615"  # unsigned BIGINT as text
    assert df.get_column("card")[0] == "62220202001123456789"
    assert df.schema["born"] == pl.Date and df.schema["seen"] == pl.Datetime("us")
    assert df.get_column("seen")[0] == datetime(2024, 5, 1, 8, 30)
    source.close()


def test_rand_seed_sample_is_repeatable(my: MyFixture) -> None:
    source, table = people(my)
    first = table.sample(80, seed=9)
    assert first.height == 80
    assert first.equals(table.sample(80, seed=9))
    assert not first.sort("id").equals(table.sample(80, seed=10).sort("id"))
    ids = first.get_column("id").to_numpy()
    assert ids.min() < ROWS * 0.2 and ids.max() > ROWS * 0.8
    assert not table.warnings or all("sample" not in w for w in table.warnings)
    source.close()


def test_large_table_samples_key_ranges(my: MyFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_sample, "RAND_SORT_BELOW", 10)
    source, table = people(my)
    first = table.sample(60, seed=3)
    assert 0 < first.height <= 60
    assert first.equals(table.sample(60, seed=3))
    assert first.get_column("id").n_unique() == first.height
    assert any("clustered key ranges" in w for w in table.warnings)
    source.close()


def test_table_without_select_is_an_error_and_others_read(my: MyFixture) -> None:
    source = open_db(my.user_url(), f"{my.prefix}_*")
    assert my.password not in source.uri
    found = list(source.tables())
    errors = [str(t) for t in found if isinstance(t, SourceError)]
    readable = [t for t in found if isinstance(t, TableReader)]
    assert len(errors) == 1 and f"{my.prefix}_secret" in errors[0] and "denied" in errors[0]
    assert my.password not in errors[0]
    assert [t.name for t in readable] == [f"{my.prefix}_people"]
    assert readable[0].sample(5, seed=1).height == 5
    source.close()


def test_wrong_password_message_has_no_password(my: MyFixture) -> None:
    wrong = "Wr0ng-pass-Qv7"
    (err,) = open_sources([my.user_url(wrong)])
    assert isinstance(err, SourceError)
    text = str(err)
    assert "cannot connect" in text and "Access denied" in text
    assert wrong not in text and my.password not in text
    assert "\n" not in text


def test_connection_is_read_only(my: MyFixture) -> None:
    source, table = people(my)
    with source.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="READ ONLY"):
        conn.execute(sa.text(f"DELETE FROM {my.prefix}_people"))
    assert table.row_count() == (ROWS, True)
    source.close()
