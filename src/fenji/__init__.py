"""fenji (分级): discover, classify and grade personal information under PIPL, DSL and GDPR.

The public API, shared by the CLI and any program embedding fenji::

    from fenji import scan, ScanOptions, check, deidentify, measure_risk
    result = scan(["customers.csv"], ScanOptions(pack="financial"))

Names are imported lazily so ``import fenji`` stays cheap (the CLI's ``--version`` among others).
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Polars configures its own copy of jemalloc (no other allocator reads this variable) to hand
# freed pages back to the OS within half a second to a second, and appends this variable to
# that setting. A streamed scan then page-faulted each batch's memory in again; three seconds
# keeps it for the next batch: half the page faults and less CPU, with the same peak memory on
# a 2 GB CSV (decision 20). It takes effect only when fenji is imported before Polars, as the
# CLI is; a value already set is kept.
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
ALLOCATOR_CONF = "dirty_decay_ms:3000,muzzy_decay_ms:3000"
os.environ.setdefault(ALLOCATOR_ENV, ALLOCATOR_CONF)

_EXPORTS = {
    "scan": "fenji.scan",
    "ScanOptions": "fenji.scan",
    "profile_table": "fenji.scan",
    "classify_frame": "fenji.detect.column",
    "load_pack": "fenji.packs",
    "check": "fenji.policy",
    "deidentify": "fenji.deid",
    "measure_risk": "fenji.deid",
    "Catalogue": "fenji.catalogue",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fenji' has no attribute {name!r}")
    return getattr(import_module(module), name)
