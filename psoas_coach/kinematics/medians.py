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


class WindowMedians:
    """:func:`window_nanmedian` that remembers its last answer at each call site, for windows
    that move forward over mostly the same frames (the settled tier's runs overlap by about
    nine tenths): a window centred on a frame already seen, with the same values bit for bit,
    keeps its median; only the others are sorted again. The answers are
    :func:`window_nanmedian`'s, bit for bit."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[FloatArray, FloatArray, FloatArray]] = {}

    def __call__(self, site: str, time_s: FloatArray, windows: FloatArray) -> FloatArray:
        """The medians of ``windows`` ``(F, ..., W)``, window ``i`` centred on the frame at
        ``time_s[i]`` (``time_s`` increasing); ``site`` names the call site."""
        kept = self._kept.get(site)
        if kept is None or kept[1].shape[1:] != windows.shape[1:] or kept[0].size == 0:
            median = window_nanmedian(windows)
        else:
            times, old, old_median = kept
            at = np.minimum(np.searchsorted(times, time_s), times.size - 1)
            same = (windows.view(np.int64) == old[at].view(np.int64)).all(axis=-1)
            same &= (times[at] == time_s).reshape(-1, *(1,) * (same.ndim - 1))
            median = old_median[at]
            todo = ~same
            if todo.any():
                median[todo] = window_nanmedian(windows[todo])
        self._kept[site] = (time_s.copy(), np.ascontiguousarray(windows), median.copy())
        return median
