"""The Spark engine (``fenji.spark``) on ``local[2]`` equals the local engine's full scan.

Spark starts slowly on two cores, so one test drives the session (a module fixture, small data,
several partitions per file so probe rows and sample rows cross partition borders); the other
tests run the executor-side tasks and target parsing without a JVM.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from typer.testing import CliRunner  # noqa: E402

from fenji.catalogue import Catalogue  # noqa: E402
from fenji.cli import app  # noqa: E402
from fenji.detect.column import classify_frame, verdict_from_counts  # noqa: E402
from fenji.detect.counts import (  # noqa: E402
    base_plan,
    merge_evidence,
    merge_stats,
    plan_column,
)
from fenji.detect.probe import probe_positions  # noqa: E402
from fenji.detect.recognizer import general_recognizers  # noqa: E402
from fenji.errors import SourceError  # noqa: E402
from fenji.model import TableProfile  # noqa: E402
from fenji.scan import ScanOptions, scan  # noqa: E402
from fenji.spark import scan_dataframe, scan_spark, spark_session  # noqa: E402
from fenji.spark.targets import resolve  # noqa: E402
from fenji.spark.tasks import (  # noqa: E402
    Context,
    Sizes,
    evidence_task,
    frames,
    probe_task,
    stats_task,
)
from fenji.synth import make_tables  # noqa: E402

KEY = bytes(range(32))
TODAY = date(2025, 1, 1)
RS = general_recognizers()

needs_java = pytest.mark.skipif(
    shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
    reason="Spark needs a Java runtime (java on PATH or JAVA_HOME)",
)


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return make_tables(rows=2500, seed=21)


def _payload(batches: Iterator[pa.RecordBatch]) -> Any:
    (batch,) = list(batches)
    return pickle.loads(batch.column("payload")[0].as_py())


def _arrow(df: pl.DataFrame, rows: int) -> list[pa.RecordBatch]:
    return df.to_arrow().to_batches(max_chunksize=rows)


def test_arrow_batches_are_regrouped_into_frames_of_the_asked_size(
    tables: dict[str, pl.DataFrame],
) -> None:
    df = tables["customers"]
    got = list(frames(iter(_arrow(df, 300)), 1000))
    assert [f.height for f in got] == [1200, 1200, 100]
    assert pl.concat(got).equals(df)


def test_partition_tasks_reproduce_the_whole_frame_verdict(
    tables: dict[str, pl.DataFrame],
) -> None:
    """The three counting jobs, run by hand on two 'partitions', give classify_frame's answer."""
    df = tables["orders"]
    bases = {c: base_plan(c, t, RS) for c, t in df.schema.items()}
    ctx = Context(batch_rows=700, bases=bases)
    parts = [df.head(1100), df.tail(df.height - 1100)]
    sizes: list[Sizes] = [_payload(stats_task(ctx, iter(_arrow(p, 256)))) for p in parts]
    assert [s.rows for s in sizes] == [1100, 1400]
    stats = {c: merge_stats(s.stats[c] for s in sizes) for c in bases}
    # Outside Spark both parts report partition 0: give each the offset it would have.
    positions = probe_positions(df.height, RS.settings.probe_rows)
    probed = [
        _payload(probe_task(ctx, {0: offset}, positions, 50, iter(_arrow(p, 256))))
        for p, offset in zip(parts, (0, 1100), strict=True)
    ]
    flags = {c: frozenset().union(*(f[c] for f, _ in probed)) for c in bases}
    plans = {c: plan_column(b, flags[c], stats[c].free_text(RS), RS) for c, b in bases.items()}
    counted = [_payload(evidence_task(ctx, plans, iter(_arrow(p, 256)))) for p in parts]
    evidence = {c: merge_evidence([e[c] for e in counted]) for c in plans}
    assert verdict_from_counts(stats, evidence, RS) == classify_frame(df, RS)
    (_, head), (_, none) = probed
    assert none is None and head.equals(df.head(50))


def test_targets_name_files_datasets_prefixed_paths_and_tables(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    lake = tmp_path / "events"
    (lake / "day=1").mkdir(parents=True)
    pl.DataFrame({"x": [1]}).write_parquet(lake / "day=1" / "part-0.parquet")
    (lake / "_SUCCESS").write_text("")
    assert resolve(str(tmp_path / "people.csv")).kind == "csv"
    assert (resolve(str(lake)).kind, resolve(str(lake)).name) == ("parquet", "events")
    assert resolve("delta:s3a://bucket/lake/orders").name == "orders"
    assert resolve("sales.orders").kind == "table"
    assert resolve("table:orders").location == "orders"
    (lake / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="several formats"):
        resolve(str(lake))
    with pytest.raises(SourceError, match="no such file"):
        resolve(str(tmp_path / "missing.parquet"))
    remote = resolve("s3a://bucket/exports/people.parquet")
    assert (remote.kind, remote.name, remote.location) == (
        "parquet", "people", "s3a://bucket/exports/people.parquet"
    )
    with pytest.raises(SourceError, match="database URLs are for the local engine"):
        resolve("sqlite:///shop.db")
    with pytest.raises(SourceError, match=r"^postgresql://analyst:\*\*\*@db/crm: ") as refused:
        resolve("postgresql://analyst:s3cret@db/crm")
    assert "s3cret" not in str(refused.value)
    with pytest.raises(SourceError, match="parquet:s3a://bucket/people"):
        resolve("s3a://bucket/people/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spark-master", "local[2]"], "--spark-master needs --engine spark"),
        (["--engine", "spark", "--include", "*.csv"], "--include/--exclude"),
        (["--engine", "hadoop"], "hadoop"),
    ],
)
def test_engine_options_that_mean_nothing_are_refused(
    args: list[str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "people.csv").write_text("a\n1\n", encoding="utf-8")
    target = str(tmp_path / "people.csv")
    result = CliRunner().invoke(app, ["scan", target, *args, "--no-catalogue"])
    assert result.exit_code == 2
    assert message in " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in result.stdout + result.stderr


def _same_findings(spark_table: TableProfile, local_table: TableProfile) -> None:
    assert spark_table.rows == local_table.rows
    assert spark_table.rows_sampled == local_table.rows_sampled
    assert spark_table.columns == local_table.columns  # types, scores, counts, samples
    assert spark_table.grade == local_table.grade
    a, b = spark_table.individuals, local_table.individuals
    assert a is not None and b is not None and (a.key, a.column) == (b.key, b.column)
    # Union of partition sketches vs one sketch: equal within the HLL error (2 % here).
    assert abs(a.estimate - b.estimate) <= 0.02 * b.estimate
    assert a.minors_under_14 == b.minors_under_14


@pytest.mark.slow
@needs_java
def test_spark_engine_finds_what_the_local_engine_finds(
    tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    spark = spark_session("local[2]")
    spark.sparkContext.setLogLevel("ERROR")
    # Small splits: every file is read as several partitions.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "120000")
    spark.conf.set("spark.sql.files.openCostInBytes", "1000")
    try:
        customers = tmp_path / "customers.parquet"
        tables["customers"].write_parquet(customers, row_group_size=300)
        orders = tmp_path / "orders.csv"
        tables["orders"].write_csv(orders)
        targets = [str(customers), str(orders), str(tmp_path / "missing.orc")]
        opts = ScanOptions(sample=None)
        remote = scan_spark(targets, opts, spark=spark, key=KEY, today=TODAY)
        local = scan(targets[:2], opts, key=KEY, today=TODAY)
        assert spark.read.parquet(str(customers)).rdd.getNumPartitions() > 1
        for got, want in zip(remote.sources[:2], local.sources, strict=True):
            assert (got.kind, got.errors) == (want.kind, ())
            _same_findings(got.tables[0], want.tables[0])
        assert remote.sources[2].kind == "error" and "missing.orc" in remote.sources[2].errors[0]

        frame = spark.createDataFrame(tables["customers"].head(400).to_pandas())
        profile = scan_dataframe(frame, name="people", key=KEY, today=TODAY)
        assert profile.name == "people" and profile.rows == 400
        found = {c.name: {h.type for h in c.info_types} for c in profile.columns}
        assert found["身份证号"] == {"CN_RESIDENT_ID"} and found["手机号"] == {"CN_MOBILE_PHONE"}

        # The command line: same findings, a catalogue entry, the default reads every row.
        url = f"sqlite:///{tmp_path / 'cat.db'}"
        cli = CliRunner().invoke(
            app,
            ["scan", "--engine", "spark", "--spark-master", "local[2]", str(customers),
             "--catalogue", url, "-f", "json", "-o", str(tmp_path / "r.json"), "-q"],
        )
        assert cli.exit_code == 0, cli.stderr
        contract = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        table = contract["sources"][0]["tables"][0]
        want = local.sources[0].tables[0]
        assert table["rows_sampled"] == want.rows == want.rows_sampled
        assert {c["name"]: [t["type"] for t in c["info_types"]] for c in table["columns"]} == {
            c.name: [h.type for h in c.info_types] for c in want.columns
        }
        scans = Catalogue(url).list_scans()
        assert [(s.status, s.sample) for s in scans] == [("complete", None)]
        bad = CliRunner().invoke(
            app, ["scan", "--engine", "spark", "sqlite:///shop.db", "--no-catalogue", "-f", "json"]
        )
        assert bad.exit_code == 2 and "local engine" in " ".join(bad.stderr.split())
    finally:
        spark.stop()
