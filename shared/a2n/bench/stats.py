"""Summaries of measured samples: nearest-rank percentiles, nothing interpolated or smoothed."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100); 0.0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def summary(samples: Sequence[float]) -> dict[str, float]:
    """``{n, p50, p99, mean, max}`` rounded to 3 decimals."""
    if not samples:
        return {"n": 0, "p50": 0.0, "p99": 0.0, "mean": 0.0, "max": 0.0}
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 50), 3),
        "p99": round(percentile(samples, 99), 3),
        "mean": round(sum(samples) / len(samples), 3),
        "max": round(max(samples), 3),
    }
