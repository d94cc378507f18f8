"""The doctests in every identifier module (and the validators table) run and pass."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import fenji.ids

MODULES = sorted(
    ["fenji.ids"]
    + [f"fenji.ids.{m.name}" for m in pkgutil.iter_modules(fenji.ids.__path__)]
    + ["fenji.detect.validators"]
)


def test_every_identifier_module_is_covered() -> None:
    expected = {
        "vin", "imei", "hk_id", "tw_id", "cn_passport", "cn_hmt_permit", "cn_plate", "cn_uscc",
        "cn_ric", "cn_mobile", "bank_card",
    }  # fmt: skip
    assert expected <= {m.rsplit(".", 1)[-1] for m in MODULES}


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctests"
    assert result.failed == 0


def test_identifiers_doc_examples_pass() -> None:
    path = Path(__file__).resolve().parents[1] / "docs" / "identifiers.md"
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0
