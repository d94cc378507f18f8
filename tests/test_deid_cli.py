"""``fenji deidentify`` and ``fenji risk`` end to end: files, keys, refusals, databases."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
import typer
from faker import Faker
from stdnum.cn import ric
from typer.testing import CliRunner

from fenji.cli_deid import deidentify_command, risk_command
from fenji.deid.io import engine_url

app = typer.Typer()
app.command("deidentify")(deidentify_command)
app.command("risk")(risk_command)
KEY = "cli-test-key-0123456789abcdef"
ROLES = ["--direct", "姓名,身份证号,手机号", "--quasi", "性别,出生日期,邮编", "--sensitive", "诊断"]
QUASI = "性别,出生日期,邮编"


def make_people(n: int, seed: int = 0) -> pl.DataFrame:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    ids = []
    for _ in range(n):
        body = (
            f"{rng.choice(['110101', '440304', '310115'])}{1950 + rng.integers(0, 60)}"
            f"{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}{rng.integers(0, 1000):03d}"
        )
        ids.append(body + ric.calc_check_digit(body + "0"))
    return pl.DataFrame(
        {
            "编号": [f"{i:06d}" for i in range(n)],  # leading zeros must survive
            "姓名": [fake.name() for _ in range(n)],
            "身份证号": ids,
            "手机号": [fake.phone_number() for _ in range(n)],
            "性别": rng.choice(["男", "女"], n),
            "出生日期": [f"{i[6:10]}-{i[10:12]}-{i[12:14]}" for i in ids],
            "邮编": [f"{x:06d}" for x in rng.integers(100000, 104000, n)],
            "诊断": rng.choice(["高血压", "糖尿病", "感冒", "骨折"], n),
        }
    )


@pytest.fixture()
def people_csv(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    make_people(600).write_csv(path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str, key: str | None = KEY):
    env = {"FENJI_KEY": key} if key is not None else {"FENJI_KEY": ""}
    return CliRunner().invoke(app, list(args), env=env)


def test_auto_k5_output_has_k_at_least_5_measured_by_fenji_risk(people_csv: Path) -> None:
    before = digest(people_csv)
    raw = pl.read_csv(people_csv, infer_schema=False)
    done = invoke("deidentify", str(people_csv), "--auto", "--k", "5", *ROLES, "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    out = people_csv.with_name("people.deid.csv")
    assert report["output"] == str(out) and report["k_anonymity"]["k"] == 5
    assert "loss_metric" in report["k_anonymity"]
    assert digest(people_csv) == before  # the input is never modified
    assert people_csv.with_name("people.deid.profile.yaml").is_file()
    assert sorted(p.name for p in people_csv.parent.iterdir()) == [
        "people.csv",
        "people.deid.csv",
        "people.deid.profile.yaml",
    ]  # no temp files left behind
    measured = invoke("risk", str(out), "--quasi", QUASI, "--no-scan", "--format", "json")
    assert measured.exit_code == 0, measured.output
    risk = json.loads(measured.stdout)
    assert risk["k"] >= 5 and risk["prosecutor_risk"]["max"] <= 0.2
    assert risk["effect_grade"]["level"] == "L3"
    result = pl.read_csv(out, infer_schema=False)
    assert set(result["编号"]) <= set(raw["编号"])  # kept as text: leading zeros survive
    assert all(v.startswith("000") for v in result["编号"])
    shown = done.stdout + done.stderr + measured.stdout
    for column in ("姓名", "身份证号", "手机号"):
        assert not any(value in shown for value in raw[column].to_list())  # no raw PI in reports
        assert not set(result[column]) & set(raw[column])


def test_profile_applies_to_parquet_and_jsonl_outputs(people_csv: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "unlisted: keep\ncolumns:\n"
        "  身份证号: {role: direct, operator: pseudonymize, params: {format: CN_RESIDENT_ID}}\n"
        "  手机号: {role: direct, operator: mask, params: {preset: CN_MOBILE_PHONE}}\n"
        "  出生日期: {role: quasi, operator: generalize, params: {kind: date, to: year}}\n",
        encoding="utf-8",
    )
    raw = pl.read_csv(people_csv, infer_schema=False)
    for name in ("out.parquet", "out.jsonl"):
        done = invoke("deidentify", str(people_csv), "--profile", str(profile), "-o",
                      str(tmp_path / name), "--format", "json")  # fmt: skip
        assert done.exit_code == 0, done.output
        out = (
            pl.read_parquet(tmp_path / name)
            if name.endswith("parquet")
            else pl.read_ndjson(tmp_path / name)
        )
        assert out.height == raw.height and out["编号"][0] == "000000"
        assert all(ric.calc_check_digit(v) == v[-1] for v in out["身份证号"])
        assert not set(out["身份证号"]) & set(raw["身份证号"])
        assert out["手机号"][0][3:7] == "****"
        assert json.loads(done.stdout)["risk"]["effect_grade"]["level"] == "L1"  # mask keeps it


def test_keyed_output_is_stable_per_key_and_changes_with_the_key(people_csv, tmp_path) -> None:
    key_file = tmp_path / "k.key"
    key_file.write_bytes(b"x" * 32)
    runs = []
    for i, extra in enumerate(([], [], ["--key-file", str(key_file)])):
        out = tmp_path / f"o{i}.csv"
        review = str(tmp_path / f"p{i}.yaml")
        done = invoke("deidentify", str(people_csv), "--auto", *ROLES, "-o", str(out),
                      "--save-profile", review, *extra)  # fmt: skip
        assert done.exit_code == 0, done.output
        runs.append(pl.read_csv(out, infer_schema=False)["姓名"].to_list())
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_no_key_means_exit_2_with_how_to_and_nothing_written(people_csv: Path, monkeypatch):
    monkeypatch.delenv("FENJI_KEY", raising=False)
    done = invoke("deidentify", str(people_csv), "--auto", *ROLES, key=None)
    assert done.exit_code == 2
    assert "FENJI_KEY" in done.stderr and "--key-file" in done.stderr
    assert "Traceback" not in done.output and len(done.stderr.strip().splitlines()) == 1
    assert not people_csv.with_name("people.deid.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{input}"], "is the input file; fenji never overwrites its input"),
        (["-o", "{dir}"], "is the input file"),
        (["--k", "1"], "--k must be at least 2"),
        (["--scenario", "moon"], "valid: agreement, enclave, public"),
        (["--format", "xml"], "valid: json, table"),
        (["--quasi", "不存在"], "'不存在' not in the input"),
        (["-o", "{dir}/out.txt"], "unknown file type .txt"),
        (["--output-table", "t"], "--output-table needs --output DATABASE_URL"),
    ],
)
def test_bad_requests_exit_2_with_one_line(people_csv: Path, args, message) -> None:
    args = [a.format(input=people_csv, dir=people_csv.parent) for a in args]
    base = ["--auto", *ROLES] if "--quasi" not in args else ["--auto", "--direct", "姓名"]
    done = invoke("deidentify", str(people_csv), *base, *args)
    assert done.exit_code == 2, done.output
    assert message in done.stderr and "Traceback" not in done.output


def test_existing_outputs_are_kept_unless_forced(people_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken.csv"
    out.write_text("keep me", encoding="utf-8")
    args = ["deidentify", str(people_csv), "--auto", *ROLES, "-o", str(out)]
    refused = invoke(*args)
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    forced = invoke(*args, "--force")
    assert forced.exit_code == 0 and out.read_text(encoding="utf-8").startswith("编号")


def test_profile_only_saves_for_review_and_writes_no_data(people_csv: Path, tmp_path) -> None:
    saved = tmp_path / "review.yaml"
    done = invoke("deidentify", str(people_csv), "--auto", *ROLES, "--profile-only",
                  "--save-profile", str(saved))  # fmt: skip
    assert done.exit_code == 0 and saved.is_file()
    assert not people_csv.with_name("people.deid.csv").exists()
    applied = invoke("deidentify", str(people_csv), "--profile", str(saved))
    assert applied.exit_code == 0, applied.output
    assert people_csv.with_name("people.deid.csv").exists()


def test_bad_profile_is_one_line(people_csv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  姓名: {operator: mask, params: {keep: 1}}\n", encoding="utf-8")
    done = invoke("deidentify", str(people_csv), "--profile", str(bad))
    assert done.exit_code == 2
    assert "column '姓名': operator 'mask'" in done.stderr and "valid parameters" in done.stderr


def test_gbk_csv_input_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    frame = make_people(200)
    path.write_bytes(frame.write_csv().encode("gb18030"))
    done = invoke("risk", str(path), "--quasi", "性别,诊断", "--no-scan", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["records"] == 200


def test_risk_json_has_every_measure(people_csv: Path) -> None:
    done = invoke("risk", str(people_csv), "--quasi", "性别,邮编", "--sensitive", "诊断",
                  "--direct", "姓名", "--population", str(people_csv), "--threshold", "0.1",
                  "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    for key in ("records", "equivalence_classes", "k", "l", "uniques", "prosecutor_risk",
                "journalist_risk", "marketer_risk", "records_at_risk", "effect_grade"):  # fmt: skip
        assert key in report
    assert report["threshold"] == 0.1 and report["effect_grade"]["level"] == "L1"
    table = invoke("risk", str(people_csv), "--quasi", "性别", "--no-scan")
    assert table.exit_code == 0 and "GB/T 42460-2023" in table.stdout


def _db_roundtrip(url: str, prefix: str, tmp_path: Path) -> None:
    engine = sa.create_engine(engine_url(url))
    src, dst = f"{prefix}_src_people", f"{prefix}_out_people"
    with engine.begin() as conn:
        for name in (src, dst):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    frame = make_people(300)
    columns = [sa.Column(c, sa.String(64)) for c in frame.columns]
    table = sa.Table(src, sa.MetaData(), *columns)
    try:
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), frame.to_dicts())
        done = invoke("deidentify", url, "--table", src, "--auto", "--k", "3", *ROLES,
                      "--output-table", dst, "--save-profile", str(tmp_path / "p.yaml"),
                      "--format", "json")  # fmt: skip
        assert done.exit_code == 0, done.output
        assert "secret" not in done.stdout
        measured = invoke("risk", url, "--table", dst, "--quasi", QUASI, "--no-scan",
                          "--format", "json")  # fmt: skip
        assert measured.exit_code == 0, measured.output
        assert json.loads(measured.stdout)["k"] >= 3
        again = invoke("deidentify", url, "--table", src, "--auto", *ROLES, "--output-table", dst,
                       "--save-profile", str(tmp_path / "p2.yaml"))  # fmt: skip
        assert again.exit_code == 2 and "already exists" in again.stderr
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c["编号"])).fetchall()
            names = set(sa.inspect(conn).get_table_names())
        assert [tuple(r) for r in rows] == list(frame.sort("编号").iter_rows())  # untouched
        assert not any(n.startswith("fenji_tmp_") for n in names)
    finally:
        with engine.begin() as conn:
            for name in (src, dst):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        engine.dispose()


@pytest.mark.pg
def test_postgres_table_to_new_table(pg_url: str, tmp_path: Path) -> None:
    _db_roundtrip(pg_url, "deid_pg", tmp_path)


@pytest.mark.mysql
def test_mariadb_table_to_new_table(mysql_url: str, tmp_path: Path) -> None:
    _db_roundtrip(mysql_url, "deid_my", tmp_path)


def test_risk_takes_roles_from_the_scanner_when_none_are_declared(people_csv: Path) -> None:
    pytest.importorskip("fenji.scan")
    done = invoke("risk", str(people_csv), "--format", "json")
    assert done.exit_code == 0, done.output
    grade = json.loads(done.stdout)["effect_grade"]
    assert grade["basis"] == "scan" and "身份证号" in grade["direct_identifiers"]
    assert grade["level"] == "L1"


def test_k_search_from_a_reviewed_profile_can_be_saved(people_csv: Path, tmp_path: Path) -> None:
    profile = tmp_path / "hand.yaml"
    profile.write_text(
        "unlisted: drop\ncolumns:\n  性别: {role: quasi, operator: keep}\n"
        "  出生日期: {role: quasi, operator: keep}\n  诊断: {role: sensitive, operator: keep}\n",
        encoding="utf-8",
    )
    saved, out = tmp_path / "chosen.yaml", tmp_path / "o.csv"
    done = invoke("deidentify", str(people_csv), "--profile", str(profile), "--k", "5",
                  "--save-profile", str(saved), "-o", str(out), "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["risk"]["k"] >= 5 and set(report["k_anonymity"]["levels"]) == {"性别", "出生日期"}
    assert "k_anonymity:" in saved.read_text(encoding="utf-8")
    same = invoke("deidentify", str(people_csv), "--profile", str(profile),
                  "--save-profile", str(people_csv), "-o", str(tmp_path / "o2.csv"))  # fmt: skip
    assert same.exit_code == 2 and "is the input file" in same.stderr


def test_risk_reads_the_roles_deidentify_saved_beside_its_output(people_csv: Path) -> None:
    done = invoke("deidentify", str(people_csv), "--auto", "--k", "5", *ROLES, "--format", "json")
    assert done.exit_code == 0, done.output
    out = people_csv.with_name("people.deid.csv")
    promised = json.loads(done.stdout)["risk"]
    measured = invoke("risk", str(out), "--format", "json")
    assert measured.exit_code == 0, measured.output
    assert "roles from the profile" in measured.stderr
    assert "people.deid.profile.yaml" in measured.stderr
    risk = json.loads(measured.stdout)
    grade = risk["effect_grade"]
    # The generalised birth date is still a quasi-identifier; pseudonyms no longer identify.
    assert grade["basis"] == "profile" and "出生日期" in grade["quasi_identifiers"]
    assert grade["direct_identifiers"] == [] and grade["level"] == promised["effect_grade"]["level"]
    assert risk["k"] == promised["k"] >= 5
    # Without the profile the scanner no longer sees the generalised dates: k looks higher.
    scanned = json.loads(invoke("risk", str(out), "--no-profile", "--format", "json").stdout)
    assert scanned["effect_grade"]["basis"] == "scan"
    assert "出生日期" not in scanned["effect_grade"]["quasi_identifiers"]
    assert scanned["k"] > risk["k"]
    explicit = invoke("risk", str(out), "--profile", str(out.with_name("people.deid.profile.yaml")),
                      "--quasi", "性别", "--format", "json")  # fmt: skip
    assert json.loads(explicit.stdout)["effect_grade"]["basis"] == "declared and profile"
    both = invoke("risk", str(out), "--profile", "x.yaml", "--no-profile")
    assert both.exit_code == 2 and "exclude each other" in both.stderr
