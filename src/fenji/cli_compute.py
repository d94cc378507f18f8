"""``fenji compute``: privacy computing: PSI, joint statistics and federated training.

Exit codes: 0 success; 2 bad input (one line naming the option or file); 3 the joint run failed
(a party left, timed out, or disagreed on the parameters). Every run, failed or not, leaves a
record in the catalogue database (``--no-catalogue`` to skip) with what was revealed to whom.
The work is done in ``fenji.compute.runner``; this module declares the options.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from fenji.compute.wire import TlsFiles
from fenji.errors import FenjiError, InputError

compute_app = typer.Typer(
    name="compute",
    help="Privacy computing: PSI, joint statistics and federated training without sharing data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True, highlight=False)
Opt = typer.Option


class Format(StrEnum):
    table = "table"
    json = "json"


# Options shared by several commands.
CatalogueOpt = Annotated[
    str | None,
    Opt("--catalogue", envvar="FENJI_CATALOGUE", metavar="URL",
        help="Catalogue database for the per-run record (default: SQLite)."),
]
NoCatalogueOpt = Annotated[bool, Opt("--no-catalogue", help="Do not record the run.")]
PurposeOpt = Annotated[str | None, Opt("--purpose", help="Why the run is done (recorded).")]
FormatOpt = Annotated[Format | None, Opt("--format", "-f", help="table (on a terminal) or json.")]
CertOpt = Annotated[Path | None, Opt("--cert", help="This party's TLS certificate (PEM).")]
KeyOpt = Annotated[Path | None, Opt("--key", help="Private key of --cert (PEM).")]
CaOpt = Annotated[Path | None, Opt("--ca", help="CA certificate that signed the partners' certs.")]
TableOpt = Annotated[str | None, Opt("--table", help="Table of a database or sheet of a workbook.")]
QuietOpt = Annotated[bool, Opt("--quiet", "-q", help="No progress lines on stderr.")]
PartiesOpt = Annotated[str, Opt("--parties", help="Every party's host:port, same order for all.")]
MeOpt = Annotated[int, Opt("--me", help="This party's index in --parties (0-based).")]
HelperOpt = Annotated[bool, Opt("--helper", help="Take part without data (a helper party).")]
WithinOpt = Annotated[Path | None, Opt("--within", help="Use only rows in this PSI result (CSV).")]
IdColOpt = Annotated[str | None, Opt("--id-column", help="Your ID column matched to --within.")]
IdTypeOpt = Annotated[str | None, Opt("--id-type", help="Its identifier type (default: detected).")]
MinGroupOpt = Annotated[int, Opt("--min-group", help="Suppress figures over fewer records.")]
MpcTimeoutOpt = Annotated[float, Opt("--timeout", help="Seconds to wait for the others per step.")]
OutputOpt = Annotated[Path | None, Opt("--output", "-o", help="Also write the JSON result here.")]


def _fail(exc: FenjiError) -> typer.Exit:
    # Escaped: messages may hold brackets, e.g. "pip install 'fenji[spu]'".
    err.print(f"[red]error:[/] {escape(str(exc))}")
    return typer.Exit(exc.exit_code)


def _warn(text: str) -> None:
    err.print(f"[red]error:[/] {escape(text)}")


@contextmanager
def _guard() -> Iterator[None]:
    """Any fenji error: one line on stderr and its exit code (2 input, 3 joint run)."""
    try:
        yield
    except FenjiError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        raise typer.Exit(130) from None


def _emit(title: str, summary: dict[str, Any], fmt: Format | None, output: Path | None) -> None:
    from fenji.compute import report

    text = json.dumps(summary, ensure_ascii=False, indent=2)
    if output is not None:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--output {output}: cannot write ({exc.strerror})") from exc
    chosen = fmt or (Format.table if sys.stdout.isatty() else Format.json)
    if chosen is Format.json and output is None:
        typer.echo(text)
    elif chosen is Format.table:
        report.print_summary(title, summary, Console())


def _say(quiet: bool, who: str = "") -> Callable[[str], None]:
    prefix = f"{who}: " if who else ""
    return (lambda _: None) if quiet else (lambda text: err.print(f"[dim]{prefix}{text}[/]"))


def _warn_plain(what: str) -> None:
    err.print(
        f"[yellow]warning:[/] {what} without TLS: partners are not authenticated, and anyone on "
        "the network path can see set sizes and message timing, or impersonate a partner. "
        "Use --cert/--key/--ca (see `fenji compute certs`)."
    )


@compute_app.command("psi")
def psi_command(
    column: Annotated[str, Opt("--column", "-c", help="Column holding the identifiers.")],
    file: Annotated[str | None, typer.Argument(help="Your data (file or DB URL).")] = None,
    serve: Annotated[str | None, Opt("--serve", metavar="FILE", help="Serve this set.")] = None,
    connect: Annotated[str | None, Opt("--connect", metavar="HOST:PORT", help="Join.")] = None,
    info_type: Annotated[str | None, Opt("--type", help="Identifier type (default: detected).")]
    = None,
    table: TableOpt = None,
    port: Annotated[int, Opt("--port", help="Port to serve on (0: any free one).")] = 9400,
    bind: Annotated[str, Opt("--bind", help="Address to serve on.")] = "0.0.0.0",
    size_only: Annotated[bool, Opt("--size-only", help="Learn (or allow) only the size.")] = False,
    output: Annotated[Path | None, Opt("--output", "-o", help="CSV of your matching identifiers "
                                       "(serving: asks the partner to share the result).")] = None,
    share_result: Annotated[bool, Opt("--share-result", help="Connecting: let the serving side "
                                      "learn the result too.")] = False,
    max_peer_size: Annotated[int | None, Opt("--max-peer-size", help="Serving: refuse larger "
                                             "partner sets.")] = None,
    backend: Annotated[str, Opt("--backend", help="PSI library: openmined-psi (ECDH P-256) or "
                                "spu (extra: pip install 'fenji\\[spu]').")] = "openmined-psi",
    psi_protocol: Annotated[str | None, Opt("--protocol", help="spu: rr22 (default), kkrt or "
                                            "ecdh.")] = None,
    curve: Annotated[str | None, Opt("--curve", help="spu ECDH curve: curve25519 (default), sm2, "
                                     "fourq or secp256k1.")] = None,
    link_port: Annotated[int | None, Opt("--link-port", help="spu: port of spu's own link, which "
                                         "the partner connects to (serving: --port + 1; "
                                         "connecting: any free one).")] = None,
    cert: CertOpt = None,
    key: KeyOpt = None,
    ca: CaOpt = None,
    timeout: Annotated[float, Opt("--timeout", help="Seconds to wait per step.")] = 600.0,
    fmt: FormatOpt = None,
    catalogue: CatalogueOpt = None,
    no_catalogue: NoCatalogueOpt = False,
    purpose: PurposeOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Private set intersection: find shared identifiers without showing the others."""
    with _guard():
        from fenji.compute import psi, runner, wire

        if (serve is None) == (connect is None):
            raise InputError("give exactly one of --serve FILE or --connect HOST:PORT FILE")
        if serve is not None and file is not None:
            raise InputError("--serve takes the file itself; drop the extra FILE argument")
        target = serve or file
        if target is None:
            raise InputError("--connect HOST:PORT needs your FILE, e.g. --connect host:9400 a.csv")
        if size_only and output is not None and connect is not None:
            raise InputError("--size-only learns no identifiers: drop --output")
        if timeout <= 0:
            raise InputError(f"--timeout {timeout:g}: must be a positive number of seconds")
        psi.check_backend(backend)
        tls = TlsFiles(cert, key, ca)
        ctx = wire.server_context(tls) if serve else wire.client_context(tls)
        spu = None
        if backend == "spu":
            from fenji.compute import psi_spu

            spu = psi_spu.settings(
                psi_protocol, curve, link_port, size_only, tls if ctx is not None else None
            )
        elif (psi_protocol, curve, link_port) != (None, None, None):
            raise InputError(
                "--protocol, --curve and --link-port apply to --backend spu only "
                "(openmined-psi always runs ECDH on P-256)"
            )
        address = wire.parse_address(connect, "--connect") if connect else None
        opts = psi.PsiOptions(
            size_only=size_only, want_result=serve is not None and output is not None,
            share_result=share_result, timeout=timeout, max_peer_size=max_peer_size,
        )
        req = runner.PsiRequest(target, column, info_type, table, address, bind, port, output)
        run = runner.RunLog("psi", catalogue, no_catalogue, purpose)
        if ctx is None:
            _warn_plain("PSI")
        summary = run.record(
            lambda: runner.run_psi(run, req, opts, ctx, _say(quiet), spu), _warn
        )
        _emit("fenji compute psi", summary, fmt, None)


def _mpc_tls(cert: Path | None, key: Path | None, ca: Path | None) -> TlsFiles | None:
    return None if (cert, key, ca) == (None, None, None) else TlsFiles(cert, key, ca)


@compute_app.command("stats")
def stats_command(
    parties: PartiesOpt,
    me: MeOpt,
    file: Annotated[str | None, typer.Argument(help="Your data (file or database URL).")] = None,
    column: Annotated[str | None, Opt("--column", "-c", help="Numeric column.")] = None,
    stats: Annotated[str, Opt("--stats", help="Any of count,sum,mean,variance,histogram.")]
    = "count,sum,mean,variance",
    bins: Annotated[str | None, Opt("--bins", help="Histogram edges, e.g. 0,1000,5000.")] = None,
    min_group: MinGroupOpt = 10,
    helper: HelperOpt = False,
    table: TableOpt = None,
    within: WithinOpt = None,
    id_column: IdColOpt = None,
    id_type: IdTypeOpt = None,
    cert: CertOpt = None,
    key: KeyOpt = None,
    ca: CaOpt = None,
    timeout: MpcTimeoutOpt = 120.0,
    output: OutputOpt = None,
    fmt: FormatOpt = None,
    catalogue: CatalogueOpt = None,
    no_catalogue: NoCatalogueOpt = False,
    purpose: PurposeOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Joint statistics of a column over 3 or more parties (MPyC): only the totals are opened."""
    with _guard():
        from fenji.compute import runner
        from fenji.compute import stats as st
        from fenji.compute.disclosure import check_min_group

        cfg = runner.mpc_config(parties, me, _mpc_tls(cert, key, ca), timeout)
        asked = st.parse_stats(stats)
        spec = st.StatsSpec(asked, st.parse_bins(bins, asked), check_min_group(min_group))
        if column is None and not helper:
            raise InputError("--column is required (the numeric column to describe)")
        src = runner.PartyInput(file, helper, table, within, id_column, id_type)
        run = runner.RunLog("stats", catalogue, no_catalogue, purpose)
        if cfg.tls is None:
            _warn_plain("MPC")
        say = _say(quiet, f"party {me}")
        summary = run.record(lambda: runner.run_stats(run, cfg, spec, src, column, say), _warn)
        _emit("fenji compute stats", summary, fmt, output)


@compute_app.command("train")
def train_command(
    features: Annotated[str, Opt("--features", help="Feature columns a,b,c (same order for all).")],
    parties: PartiesOpt,
    me: MeOpt,
    file: Annotated[str | None, typer.Argument(help="Your rows (file or database URL).")] = None,
    label: Annotated[str | None, Opt("--label", help="0/1 label column.")] = None,
    l2: Annotated[float, Opt("--l2", help="L2 penalty on the coefficients.")] = 1.0,
    rounds: Annotated[int, Opt("--rounds", help="Most Newton rounds.")] = 25,
    tol: Annotated[float, Opt("--tol", help="Stop when no weight moves more.")] = 1e-8,
    min_group: MinGroupOpt = 10,
    helper: HelperOpt = False,
    table: TableOpt = None,
    within: WithinOpt = None,
    id_column: IdColOpt = None,
    id_type: IdTypeOpt = None,
    cert: CertOpt = None,
    key: KeyOpt = None,
    ca: CaOpt = None,
    timeout: MpcTimeoutOpt = 120.0,
    output: OutputOpt = None,
    fmt: FormatOpt = None,
    catalogue: CatalogueOpt = None,
    no_catalogue: NoCatalogueOpt = False,
    purpose: PurposeOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Federated logistic regression: updates are summed in MPC; equals pooled training."""
    with _guard():
        from fenji.compute import fedlearn as fl
        from fenji.compute import runner
        from fenji.compute.disclosure import check_min_group

        cfg = runner.mpc_config(parties, me, _mpc_tls(cert, key, ca), timeout)
        names = [f.strip() for f in features.split(",") if f.strip()]
        if not names or len(set(names)) != len(names):
            raise InputError(f"--features {features!r}: expected distinct column names a,b,c")
        if label is None and not helper:
            raise InputError("--label is required (the 0/1 outcome column)")
        if rounds < 1 or l2 < 0 or tol < 0:
            raise InputError("--rounds must be at least 1; --l2 and --tol must not be negative")
        spec = fl.TrainSpec(len(names), l2, rounds, tol, check_min_group(min_group))
        src = runner.PartyInput(file, helper, table, within, id_column, id_type)
        run = runner.RunLog("train", catalogue, no_catalogue, purpose)
        if cfg.tls is None:
            _warn_plain("MPC")
        say = _say(quiet, f"party {me}")
        summary = run.record(
            lambda: runner.run_train(run, cfg, spec, src, names, label, say), _warn
        )
        _emit("fenji compute train", summary, fmt, output)


@compute_app.command("certs")
def certs_command(
    out: Annotated[Path, typer.Argument(help="Directory for ca.crt and party_<i>.crt/.key.")],
    parties: Annotated[int, Opt("--parties", help="Number of parties.")] = 3,
    host: Annotated[list[str] | None, Opt("--host", help="Host name or IP address the "
                                          "certificates are valid for (repeat).")] = None,
) -> None:
    """Make a private CA and one certificate per party, for trials and demos."""
    with _guard():
        from fenji.compute.certs import make_certs

        written = make_certs(out, parties, host or ["127.0.0.1", "localhost"])
        err.print(f"wrote {len(written)} files to {out}: party i uses party_i.crt/.key and ca.crt")


@compute_app.command("runs")
def runs_command(
    limit: Annotated[int, Opt("--limit", help="Newest N records.")] = 20,
    command: Annotated[str | None, Opt("--command", help="Only psi, stats or train runs.")] = None,
    fmt: FormatOpt = None,
    catalogue: CatalogueOpt = None,
) -> None:
    """Show this party's records of joint runs: who took part, what was revealed, when."""
    with _guard():
        from fenji.compute import audit, report

        log = audit.AuditLog(catalogue)
        try:
            records = log.recent(limit, command)
        finally:
            log.close()
    rows = [audit.as_dict(r) for r in records]
    if (fmt or (Format.table if sys.stdout.isatty() else Format.json)) is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for row in rows:
        report.print_summary(f"run {row['id']} ({row['command']}, {row['status']})", row, Console())


if __name__ == "__main__":  # python -m fenji.cli_compute, before the lead registers the sub-app
    compute_app(prog_name="fenji compute")
