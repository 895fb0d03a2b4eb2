"""The examples in docstrings run: every module of the package that has one, found by walking the package.

A new module is picked up without editing this file (issue 13 item 5). Examples that need a shipped model, a
network or a real store say ``# doctest: +SKIP``; everything else must run as written.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import narrative


def modules_with_examples() -> list[str]:
    """Every module of ``narrative`` whose source has a ``>>>`` line, by name (read as text, not imported)."""
    names = ["narrative", *(info.name for info in pkgutil.walk_packages(narrative.__path__, "narrative."))]
    found = []
    for name in names:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        if ">>>" in Path(spec.origin).read_text(encoding="utf-8"):
            found.append(name)
    return found


MODULES = modules_with_examples()


def test_the_walk_finds_modules_in_every_layer():
    # A broken walk (a renamed package root, a filter gone wrong) would otherwise pass with nothing to run.
    layers = {name.split(".")[1] for name in MODULES if name.count(".") >= 2}
    assert {"api", "ingest", "market", "nlp", "store"} <= layers
    assert "narrative.config" in MODULES and len(MODULES) >= 40


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"
