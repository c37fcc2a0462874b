"""Medians over many small windows, as the clean-up steps take them."""

from __future__ import annotations

import numpy as np

from psoas_coach.pose.types import FloatArray


def window_nanmedian(windows: FloatArray) -> FloatArray:
    """Median over the last axis ignoring NaN (NaN where all are NaN): ``np.nanmedian``'s
    values (the middle value, or the mean of the two middle ones), without its warnings and
    masked arrays, several times faster on many small windows."""
    ordered = np.sort(windows, axis=-1)  # NaN sort last
    count = np.count_nonzero(~np.isnan(windows), axis=-1)
    low = np.take_along_axis(ordered, np.maximum(count - 1, 0)[..., None] // 2, axis=-1)
    high = np.take_along_axis(ordered, (count // 2)[..., None], axis=-1)
    median = ((low + high) / 2.0)[..., 0]
    median[count == 0] = np.nan
    return np.asarray(median, dtype=np.float64)
