"""The e2e tests' shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.web import Web, serving


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """``ledger serve`` on the demo ledger with the test provider (``tests/e2e/web.py``)."""
    yield from serving(tmp_path_factory.mktemp("web"))
