"""The newcomer test starts `make run` twice (about a minute): it runs only when asked for by its mark,
`pytest -m newcomer` (as `.ci/run` does), so `make test` stays fast."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_configure(config):
    config.addinivalue_line("markers", "newcomer: follows the README on a fresh copy with `make run` (slow)")


def pytest_collection_modifyitems(config, items):
    if "newcomer" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest -m newcomer`")
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(skip)
