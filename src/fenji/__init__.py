"""fenji (分级): discover, classify and grade personal information under PIPL, DSL and GDPR.

The public API, shared by the CLI and any program embedding fenji::

    from fenji import scan, ScanOptions, check, deidentify, measure_risk
    result = scan(["customers.csv"], ScanOptions(pack="financial"))

Names are imported lazily so ``import fenji`` stays cheap (the CLI's ``--version`` among others).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

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
