"""bench.stats: the harness's percentiles and summaries."""

from __future__ import annotations

import pytest

from bench.stats import Summary, percentile


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0], 99) == 7.0


def test_summary_refuses_no_samples() -> None:
    with pytest.raises(ValueError, match="no samples"):
        Summary.of([])
