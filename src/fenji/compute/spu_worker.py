"""One side of SecretFlow spu's PSI in a child process (``python -m fenji.compute.spu_worker``).

Why a child process: spu's link (yacl over brpc) calls ``exit(-1)`` from a background thread
when a send to a vanished partner fails, can crash while closing a link whose partner is gone,
and logs to stdout. In a child none of that can end the fenji process without its one-line
error and per-run record, write into its JSON output, or outlive ``--timeout``: the parent
(``fenji.compute.psi_spu``) watches this process and the control channel, and kills it when
the partner is gone. The parent also never imports spu, so its numpy and jax stay out of it.

The only argument is a job file (JSON, written by the parent into a private directory). The
worker reports through files beside it: ``link-up`` once the link is connected, then
``result.json`` (spu's counts) or ``error.json`` (stage, exception type, a scrubbed detail).
``start`` and ``tidy`` are the parent's side: launch the worker, clean up after it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

# Long digit runs and e-mail-like tokens are cut from native error text before it is passed
# on: fenji's messages never carry identifier values, whatever a library puts in its own.
_SCRUB = re.compile(r"\S*@\S*|\d{5,}")
_TRACE = re.compile(r"Trace has been written to (/tmp/psi_[\w-]+\.trace)")


def scrub(text: str) -> str:
    """The first meaningful line of a native error, without source locations or values."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "what:" not in ln]
    line = next((ln for ln in lines if not ln.startswith(("#", "stacktrace"))), "")
    line = re.sub(r"^\[[^\]]*\]\s*", "", line)  # "[external/yacl~/...:194] connect to ..."
    return _SCRUB.sub("…", line)[:200] or "no detail"


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # the parent polls for the file: it must appear complete


def _link(spu: Any, job: dict[str, Any]) -> Any:
    desc = spu.link.Desc()
    desc.id = job["link_id"]
    for name, host in job["parties"]:
        desc.add_party(name, host)
    ms = int(job["timeout"] * 1000)
    desc.recv_timeout_ms = ms  # a partner silent this long ends the run (error, no hang)
    desc.http_timeout_ms = ms
    # Each connection attempt makes up to 3 retries (0.3 + 0.6 + 0.9 s) and waits 1 s before
    # the next, so the attempts add up to about the timeout; the parent also kills the worker
    # when the link is not up by then. The retries also ride out brief network hiccups.
    retry = desc.retry_opts
    retry.max_retry, retry.retry_interval_ms = 3, 300
    retry.retry_interval_incr_ms, retry.max_retry_interval_ms = 300, 1000
    desc.retry_opts = retry
    desc.connect_retry_interval_ms = 1000
    desc.connect_retry_times = max(2, math.ceil(job["timeout"] / 2.8))
    tls = job.get("tls")
    if tls:
        # Mutual TLS: each side is both brpc client and server on the link.
        desc.enable_ssl = True
        for opts in (desc.client_ssl_opts, desc.server_ssl_opts):
            opts.cert.certificate_path = tls["cert"]
            opts.cert.private_key_path = tls["key"]
            opts.verify.ca_file_path = tls["ca"]
            opts.verify.verify_depth = 4
    return spu.link.create_brpc(desc, job["rank"])


def _config(psi: Any, job: dict[str, Any]) -> Any:
    proto = psi.PsiProtocolConfig()
    proto.protocol = getattr(psi.PsiProtocol, job["protocol"])
    proto.receiver_rank = job["receiver_rank"]
    proto.broadcast_result = job["broadcast"]
    if job.get("curve"):
        ecdh = psi.EcdhParams()
        ecdh.curve = getattr(psi.EllipticCurveType, job["curve"])
        proto.ecdh_params = ecdh
    inp = psi.InputParams()
    inp.type = psi.SourceType.SOURCE_TYPE_FILE_CSV
    inp.path, inp.selected_keys, inp.keys_unique = job["input"], ["id"], True
    out = psi.OutputParams()
    out.type, out.path = psi.SourceType.SOURCE_TYPE_FILE_CSV, job["output"]
    cfg = psi.PsiExecuteConfig()
    cfg.protocol_conf, cfg.input_params, cfg.output_params = proto, inp, out
    return cfg


def _die_with_parent() -> None:
    # The worker must not outlive a fenji process that is killed: PR_SET_PDEATHSIG (Linux,
    # the only platform spu ships wheels for).
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)


def start(base: Path) -> subprocess.Popen[bytes]:
    """Start the worker on ``base/job.json`` (parent side); its output goes to ``spu.log``."""
    env = {**os.environ, "TMPDIR": str(base)}  # spu's own temporary files stay in the private dir
    with (base / "spu.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "fenji.compute.spu_worker", str(base / "job.json")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=base, env=env,
            preexec_fn=_die_with_parent,
        )


def tidy(base: Path) -> None:
    """Parent side, after the worker ended: delete spu's trace file (it always goes to /tmp),
    and copy its log to ``FENJI_SPU_LOG`` when that is set (for troubleshooting)."""
    log = base / "spu.log"
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return
    for trace in _TRACE.findall(text):
        with contextlib.suppress(OSError):
            os.unlink(trace)
    keep = os.environ.get("FENJI_SPU_LOG")
    if keep:
        with contextlib.suppress(OSError):
            shutil.copyfile(log, keep)


def main(job_file: str) -> int:
    """Run the job; the exit status only matters when no report file was written."""
    base = Path(job_file).parent
    job = json.loads(Path(job_file).read_text())
    stage = "import"
    try:
        # The optional extra, imported only here (it brings numpy<2 and jax).
        import spu.libpsi as psi
        import spu.libspu as libspu

        stage = "link"
        lctx = _link(libspu, job)
        (base / "link-up").touch()
        stage = "run"
        report = psi.psi_execute(_config(psi, job), lctx)
    except Exception as exc:  # native errors arrive as RuntimeError with yacl's text
        _write(base / "error.json", {"stage": stage, "type": type(exc).__name__,
                                     "detail": scrub(str(exc))})
        sys.stdout.flush()
        os._exit(1)
    _write(base / "result.json", {"original": int(report.original_count),
                                  "intersection": int(report.intersection_count)})
    # Waits until the last messages have reached the partner; it may be gone already, and
    # our result is complete either way.
    with contextlib.suppress(Exception):
        lctx.stop_link()
    sys.stdout.flush()
    os._exit(0)  # skip native destructors: they can crash when the partner has gone


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
