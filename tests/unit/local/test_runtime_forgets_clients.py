"""A runtime started after another (the e2e suite's second stack, on another moto port) must not talk
to the first one's moto through a client some adapter cached."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest

import a2n.adapters
from a2n.local.runtime import _forget_cached_config
from a2n.settings import reset_settings


@pytest.fixture
def first_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    reset_settings()
    yield
    _forget_cached_config()


def test_every_adapters_cached_client_is_forgotten(first_endpoint: None) -> None:
    cached = []
    for module in pkgutil.iter_modules(a2n.adapters.__path__):
        adapter = importlib.import_module(f"a2n.adapters.{module.name}")
        build = getattr(adapter, "_client", None) or getattr(adapter, "_client_for", None)
        if build is None or not hasattr(build, "cache_info"):
            continue
        try:
            build()
        except TypeError:  # a client per (region, endpoint): the adapter's public path builds it
            continue
        assert build.cache_info().currsize == 1
        cached.append((module.name, build))
    assert {"mailer", "kms"} <= {name for name, _ in cached}

    _forget_cached_config()

    still = [name for name, build in cached if build.cache_info().currsize]
    assert still == []
