"""PI in Chinese prose: span precision/recall and throughput of fenji vs Presidio, in one run.

    python bench/bench_text.py                      # Presidio too if presidio_analyzer imports
    python bench/bench_text.py --presidio-python /path/to/venv/bin/python

1. Generates the labelled corpus (``fenji.text.corpus``: service logs, app logs, contracts,
   chat, e-mails with hard negatives) and prints fenji's span precision and recall per type.
2. Times fenji over the same text as one stream (how ``fenji scan`` and ``fenji redact`` read a
   file): detection with the pattern types only, then with names and addresses (jieba), and
   redaction (``--mode mask``) both ways. MB/s of UTF-8 text; CPU seconds in brackets (steadier
   on a shared machine).
3. Gives Presidio's ``AnalyzerEngine`` the equivalent pattern recognizers (the same regexes from
   recognizers.yaml, the same context words, Luhn and MOD 11-2 checks in ``validate_result``),
   a blank spaCy Chinese pipeline (no model download), and analyses each document (one huge
   string is quadratic in Presidio's context step), then prints both throughputs, the ratio and
   both recalls on the pattern types. Presidio is skipped with a message when
   ``presidio_analyzer`` does not import here and no ``--presidio-python`` is given; the worker
   needs only presidio-analyzer and spaCy (it does not import fenji).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PY_BOUNDARY = r"\b"  # with re.ASCII, Python's \b is the ASCII word boundary (?-u:\b) is in Rust


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall-clock and CPU seconds of ``repeat`` runs, and the last result."""
    best_wall, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu, out


# --- the Presidio side (runs without fenji) --------------------------------------------------


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _ric18(value: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    if len(value) != 18 or not value[:17].isdigit():
        return False
    check = "10X98765432"[sum(int(c) * w for c, w in zip(value, weights, strict=False)) % 11]
    return value[17].upper() == check


def _ric(value: str) -> bool | None:
    compact = "".join(c for c in value if c.isalnum())
    return None if len(compact) == 15 else _ric18(compact)  # the legacy form has no check


CHECKS: dict[str, Callable[[str], bool | None]] = {
    "luhn": lambda v: _luhn("".join(c for c in v if c.isdigit())),
    "ric18": _ric,
}


def presidio_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Analyse ``job["docs"]`` with Presidio pattern recognizers; spans and timings back."""
    import regex  # Presidio compiles with the regex module: its flag values, not re's
    import spacy
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    class Checked(PatternRecognizer):
        def __init__(self, check: str | None, **kw: Any) -> None:
            super().__init__(**kw)
            self._check = CHECKS.get(check or "")

        def validate_result(self, pattern_text: str) -> bool | None:
            return None if self._check is None else self._check(pattern_text)

    with tempfile.TemporaryDirectory() as tmp:
        spacy.blank("zh").to_disk(tmp)  # a model dir spacy.load accepts: nothing downloaded
        provider = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy", "models": [{"lang_code": "zh", "model_name": tmp}]})
        nlp_engine = provider.create_engine()
    registry = RecognizerRegistry(supported_languages=["zh"])
    flags = regex.ASCII | regex.MULTILINE
    for r in job["recognizers"]:
        registry.add_recognizer(Checked(
            check=r["check"], supported_entity=r["entity"], supported_language="zh",
            name=r["name"], context=r["context"],
            patterns=[Pattern(p["name"], p["regex"], r["score"]) for p in r["patterns"]],
            global_regex_flags=flags,
        ))  # fmt: skip
    engine = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["zh"])
    engine.analyze(text="预热 13800138000", language="zh", regex_flags=flags)

    def run() -> list[list[tuple[int, int, str]]]:
        return [
            [(x.start, x.end, x.entity_type)
             for x in engine.analyze(text=d, language="zh", regex_flags=flags)]
            for d in job["docs"]
        ]  # fmt: skip

    wall, cpu, spans = _timed(run, job["repeat"])
    return {"wall": wall, "cpu": cpu, "spans": spans}


# --- the fenji side --------------------------------------------------------------------------


def presidio_job(docs: list[str], repeat: int) -> dict[str, Any]:
    """fenji's text recognizers as Presidio pattern recognizers (Rust regex -> Python re)."""
    from fenji.detect.recognizer import general_recognizers
    from fenji.text.context import general_context
    from fenji.text.spans import text_patterns

    ctx = general_context()
    checks = {"bank_card": "luhn", "imei": "luhn", "cn_ric": "ric18"}
    recognizers: dict[str, dict[str, Any]] = {}
    for tp in text_patterns(general_recognizers(), ctx):
        if tp.needs_context:
            continue  # context-only types have no Presidio equivalent: compared without them
        rec = recognizers.setdefault(tp.recognizer, {
            "name": tp.recognizer, "entity": tp.info_type, "score": tp.score,
            "context": list(ctx.words.get(tp.info_type, ())),
            "check": checks.get(tp.recognizer), "patterns": []})  # fmt: skip
        regex = tp.regex.replace("(?-u:\\b)", PY_BOUNDARY)
        rec["patterns"].append({"name": tp.pattern, "regex": regex})
    return {"recognizers": list(recognizers.values()), "docs": docs, "repeat": repeat}


def run_presidio(job: dict[str, Any], python: str | None) -> dict[str, Any] | None:
    try:
        import presidio_analyzer  # noqa: F401

        return presidio_worker(job)
    except ImportError:
        pass
    if not python:
        print("  Presidio: skipped (presidio_analyzer is not importable here; install the bench "
              "extra or pass --presidio-python PATH to a Python that has it)")  # fmt: skip
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "job.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        subprocess.run([python, __file__, "--presidio-worker", str(src), str(dst)], check=True,
                       env=env)  # fmt: skip
        result: dict[str, Any] = json.loads(dst.read_text(encoding="utf-8"))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=6000, help="documents (about 350 B each)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--presidio-python", help="a Python with presidio-analyzer and spaCy")
    parser.add_argument("--verbose", action="store_true", help="Presidio's scores per type")
    parser.add_argument("--presidio-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.presidio_worker:
        job = json.loads(Path(args.presidio_worker[0]).read_text(encoding="utf-8"))
        Path(args.presidio_worker[1]).write_text(json.dumps(presidio_worker(job)), "utf-8")
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    bench(args.docs, args.seed, args.repeat, args.presidio_python, args.verbose)


def bench(
    n_docs: int, seed: int, repeat: int, presidio_python: str | None, verbose: bool = False
) -> None:
    """Print fenji's span scores, fenji's throughputs, and the comparison with Presidio."""
    from functools import partial

    from fenji.text.corpus import make_corpus
    from fenji.text.find import find_spans
    from fenji.text.redact import RedactMode, redact_pieces
    from fenji.text.scoring import format_scores, joined, score_spans

    docs = make_corpus(n_docs, seed)
    sep = "\n\n"
    text, truth = joined(docs, sep)
    mb = len(text.encode()) / 1e6
    find_spans("预热：联系人王芳，手机13800138000")  # load jieba and compile the regexes once
    print(f"corpus: {len(docs)} documents, {mb:.2f} MB, {len(truth)} labelled spans (seed {seed})")
    spans = find_spans(text)
    pred = [(s, e, t) for t, s, e in spans.select("type", "start", "end").iter_rows()]
    print("fenji span precision/recall (exact type, start and end):")
    print(format_scores(score_spans(pred, truth)))

    def detect(names: bool) -> Any:
        return find_spans(text, names=names)

    def redact(names: bool) -> str:
        out: list[str] = []
        redact_pieces([text], out.append, RedactMode.mask, names=names)
        return "".join(out)

    job = presidio_job([d.text for d in docs], 1)
    entities = {r["entity"] for r in job["recognizers"]}
    def compared(label: tuple[int, int, str]) -> bool:
        # Spans only a context-only pattern finds (8-digit Taiwan permits) are left out too.
        a, b, t = label
        return t in entities and not (t == "CN_HMT_PERMIT" and text[a:b].isdigit())

    gold = [x for x in truth if compared(x)]
    fenji_scores = score_spans([x for x in pred if compared(x)], gold)["all"]
    # fenji and Presidio take turns, best of each kept: the machine's load moves in between.
    fenji_runs: list[tuple[float, float]] = []
    presidio_runs: list[dict[str, Any]] = []
    skipped = False
    for _ in range(repeat):
        fenji_runs.append(_timed(partial(detect, False), 1)[:2])
        if not skipped:
            got = run_presidio(job, presidio_python)
            skipped = got is None
            presidio_runs += [got] if got is not None else []
    best = (min(w for w, _ in fenji_runs), min(c for _, c in fenji_runs))
    result = min(presidio_runs, key=lambda r: r["wall"]) if presidio_runs else None
    if result is not None:
        result["cpu"] = min(r["cpu"] for r in presidio_runs)
    print("throughput over the whole text, as one stream (best of --repeat):")
    for label, fn in [
        ("detect, pattern types", None),
        ("detect, + names and addresses", partial(detect, True)),
        ("redact --mode mask, pattern types", partial(redact, False)),
        ("redact --mode mask, + names", partial(redact, True)),
    ]:
        wall, cpu = best if fn is None else _timed(fn, repeat)[:2]
        print(f"  fenji {label:36} {mb / wall:7.2f} MB/s  ({mb / cpu:.2f} MB/s per CPU-second)")
    print(f"compared with Presidio: the {len(entities)} info types with pattern recognizers "
          "(names, addresses and context-only types left out)")  # fmt: skip
    if result is None:
        return
    offsets, pos = [], 0
    for d in docs:
        offsets.append(pos)
        pos += len(d.text) + len(sep)
    presidio_pred = [(a + off, b + off, t) for off, found in zip(offsets, result["spans"],
                     strict=True) for a, b, t in found]  # fmt: skip
    presidio_all = score_spans([x for x in presidio_pred if compared(x)], gold)
    if verbose:
        print("Presidio span precision/recall:")
        print(format_scores(presidio_all))
    presidio = presidio_all["all"]
    wall, cpu = best
    print(f"  Presidio AnalyzerEngine, per document    {mb / result['wall']:7.2f} MB/s  "
          f"({mb / result['cpu']:.2f} MB/s per CPU-second)")  # fmt: skip
    print(f"  fenji / Presidio, detection of pattern types: {result['wall'] / wall:.1f}x "
          f"(wall), {result['cpu'] / cpu:.1f}x (CPU)")  # fmt: skip
    print(f"  recall    fenji {fenji_scores.recall:.3f}   Presidio {presidio.recall:.3f}")
    print(f"  precision fenji {fenji_scores.precision:.3f}   Presidio {presidio.precision:.3f}")


if __name__ == "__main__":
    main()
