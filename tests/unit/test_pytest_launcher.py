"""The in-container pytest launcher names plugins so `-p NAME` loads each without side effects."""

from __future__ import annotations

import importlib.util
from importlib import metadata

from forager.images.base import HELPERS_SOURCE


def _launcher():
    spec = importlib.util.spec_from_file_location("forager_pytest_under_test", HELPERS_SOURCE / "forager_pytest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _Dist:
    def __init__(self, *eps):
        self.entry_points = [metadata.EntryPoint(name=n, value=v, group="pytest11") for n, v in eps]


def test_a_plugin_named_like_an_imported_module_is_named_by_its_module(monkeypatch):
    launcher = _launcher()
    dists = [_Dist(("socket", "pytest_socket")), _Dist(("anyio", "anyio.pytest_plugin"), ("timeout", "pytest_timeout"))]
    monkeypatch.setattr(metadata, "distributions", lambda: dists)
    # `socket` is a standard module: `-p socket` would warn that it cannot be rewritten
    assert launcher.list_plugins() == ["anyio", "pytest_socket", "timeout"]
