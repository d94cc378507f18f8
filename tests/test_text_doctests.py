"""The examples in the docstrings of fenji.text run and pass."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fenji.text

MODULES = sorted(f"fenji.text.{m.name}" for m in pkgutil.iter_modules(fenji.text.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
