"""Medians over many small windows, as the clean-up steps take them."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from psoas_coach.pose.types import BoolArray, FloatArray


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
    """:func:`window_nanmedian` of centred windows that remembers its last answer at each
    call site, for windows that move forward over mostly the same frames (the settled tier's
    runs overlap by about nine tenths): a window whose values are, bit for bit, those of a
    window of the last call keeps that window's median; only the others are sorted again. The
    answers are :func:`window_nanmedian`'s, bit for bit."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[FloatArray, FloatArray, FloatArray]] = {}

    def __call__(
        self, site: str, time_s: FloatArray, padded: FloatArray, window: int
    ) -> FloatArray:
        """The medians ``(F, ...)`` of the ``window`` rows of ``padded`` ``(F + window - 1,
        ...)`` from each row on (``sliding_window_view(padded, window, 0)``), window ``i``
        centred on the frame at ``time_s[i]`` (``time_s`` ``(F,)`` increasing); ``site`` names
        the call site."""
        windows = sliding_window_view(padded, window, 0)
        size = time_s.size
        kept = self._kept.get(site)
        same = None
        if kept is not None and kept[0].size and size and kept[1].shape[1:] == padded.shape[1:]:
            times, old, old_median = kept
            if kept[1].shape[0] - times.size == padded.shape[0] - size:  # the same window
                shift = _shift(times, time_s)  # old frame = new frame + shift
                same = _same_windows(padded, old, shift, window, size)
        if same is None or not same.any():
            median = window_nanmedian(windows)
        else:
            median = old_median[np.clip(np.arange(size) + shift, 0, times.size - 1)]
            todo = ~same
            if todo.any():
                median[todo] = window_nanmedian(windows[todo])
        self._kept[site] = (time_s.copy(), padded.copy(), median.copy())
        return median


def _shift(old_s: FloatArray, new_s: FloatArray) -> int:
    """How far the frames of ``new_s`` lie in ``old_s`` (both increasing): the index in
    ``old_s`` of the frame at ``new_s[0]``, or, negated, that in ``new_s`` of ``old_s[0]``."""
    if new_s[0] >= old_s[0]:
        return int(np.searchsorted(old_s, new_s[0]))
    return -int(np.searchsorted(new_s, old_s[0]))


def _same_windows(
    padded: FloatArray, old: FloatArray, shift: int, window: int, size: int
) -> BoolArray:
    """``(F, ...)`` whether window ``i`` of ``padded`` holds, bit for bit, the values of window
    ``i + shift`` of ``old`` (rows compared once, then ``window`` rows at a time)."""
    rows = padded.shape[0]
    lo, hi = max(0, -shift), min(rows, old.shape[0] - shift)
    equal = np.zeros(padded.shape, dtype=bool)
    if hi > lo:
        equal[lo:hi] = padded[lo:hi].view(np.int64) == old[lo + shift : hi + shift].view(np.int64)
    same = equal[:size].copy()
    for k in range(1, window):
        same &= equal[k : k + size]
    return same
