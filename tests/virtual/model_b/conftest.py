from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import Dev


@pytest.fixture(scope="module")
def _dev() -> Iterator[Dev]:
    yield Dev()


@pytest.fixture
def dev(_dev: Dev) -> Dev:
    """A freshly reset in-process virtual device (API 34) shared by the module's tests."""
    _dev.reset(api=34)
    return _dev
