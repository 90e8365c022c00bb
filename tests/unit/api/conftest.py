from __future__ import annotations

from collections.abc import Iterator

import pytest

from a2n.settings import reset_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    # Tests change A2N_MAX_BODY_BYTES through the environment; settings are cached per process.
    reset_settings()
    yield
    reset_settings()
