"""The running median of the latest values (the live depth scale and trunk direction): kept in
order as values come and go, it is ``np.median`` of the values kept, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from psoas_coach.kinematics.buffers import RunningMedian


@pytest.mark.parametrize("capacity", [50, 301, 1000])
def test_the_running_median_is_numpys_median_of_the_latest_values(capacity: int) -> None:
    rng = np.random.default_rng(capacity)
    median = RunningMedian(capacity, refresh=1)  # a new median after every value
    kept: list[float] = []
    checked = 0
    for i in range(2000):
        values = np.round(rng.normal(size=int(rng.integers(0, 12))), 1)  # many equal values
        if i % 40 == 0:
            values = np.append(values, [np.nan, -0.0, 0.0, np.inf])  # only finite ones count
        median.extend(values)
        kept = (kept + values[np.isfinite(values)].tolist())[-capacity:]
        got = median.value
        if np.isfinite(values).any():
            expected = np.median(kept)
            assert got == expected and np.signbit(got) == np.signbit(expected), (i, got)
            checked += 1
    assert len(median) == capacity and checked > 200
