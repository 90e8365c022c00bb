"""Logging, tracing and metrics through one module (Powertools), built lazily.

Handlers do ``logger = get_logger()`` at module level: Powertools' Logger reads its env at
construction, which is cheap; Tracer and Metrics are created on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer


@lru_cache(maxsize=1)
def get_logger() -> Logger:
    from aws_lambda_powertools import Logger

    from a2n.settings import get_settings

    s = get_settings()
    return Logger(service=s.service_name, level=s.log_level)


@lru_cache(maxsize=1)
def get_tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    from a2n.settings import get_settings

    return Tracer(service=get_settings().service_name)


@lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    from a2n.settings import get_settings

    return Metrics(namespace="A2N", service=get_settings().service_name)
