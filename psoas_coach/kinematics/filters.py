"""Per-frame smoothing filters, swappable, with a null choice.

A filter is a small object with ``update(x) -> y`` per frame and ``reset()``; a factory makes
one per track. ``zero_phase`` runs a filter forward and backward for offline analysis, so the
offline and live paths share the same filter code (the live path runs it forward only).
"""

from __future__ import annotations

import abc
import math

import numpy as np

from psoas_coach.pose.types import FloatArray


class Filter(abc.ABC):
    """One causal filter over a stream of equally shaped arrays."""

    @abc.abstractmethod
    def update(self, x: FloatArray) -> FloatArray:
        """Filtered value for the new sample ``x`` (any shape, constant across calls)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget the past: the next sample starts a new track."""

    def run(self, track: FloatArray) -> FloatArray:
        """A fresh pass over ``track`` ``(F, ...)`` along axis 0: :meth:`update` per sample
        after a :meth:`reset` (the filter is left reset)."""
        self.reset()
        out = np.empty_like(track)
        for i in range(track.shape[0]):
            out[i] = self.update(track[i])
        self.reset()
        return out


class FilterFactory(abc.ABC):
    """Makes filters for a given sample rate."""

    @abc.abstractmethod
    def create(self, fps: float) -> Filter:
        """A new filter for samples at ``fps`` frames per second."""


class NoFilter(Filter):
    """Passes samples through unchanged."""

    def update(self, x: FloatArray) -> FloatArray:
        """Returns ``x``."""
        return x

    def reset(self) -> None:
        """Nothing to forget."""


class NoFilterFactory(FilterFactory):
    """The null choice: no smoothing."""

    def create(self, fps: float) -> Filter:
        """A :class:`NoFilter`."""
        return NoFilter()


#: Elements up to which :meth:`ButterworthLowPass.run` runs the recursion element by element
#: on floats rather than sample by sample on arrays (the live window's 16 tracks, not a
#: recording's 66).
NARROW_ELEMENTS = 24


class ButterworthLowPass(Filter):
    """Second-order Butterworth low-pass (a biquad), started at rest on the first sample.

    Args:
        cutoff_hz: -3 dB frequency in hertz.
        fps: sample rate in frames per second (the cut-off is clamped below Nyquist).
    """

    def __init__(self, cutoff_hz: float, fps: float) -> None:
        fc = min(cutoff_hz, 0.45 * fps)
        k = math.tan(math.pi * fc / fps)
        norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
        self._b = (k * k * norm, 2.0 * k * k * norm, k * k * norm)
        self._a = (2.0 * (k * k - 1.0) * norm, (1.0 - math.sqrt(2.0) * k + k * k) * norm)
        self._state: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None

    def update(self, x: FloatArray) -> FloatArray:
        """Filtered sample. Elements that are NaN pass through and restart at rest."""
        if self._state is None:
            self._state = (x.copy(), x.copy(), x.copy(), x.copy())
        x1, x2, y1, y2 = self._state
        fresh = np.isnan(x1 + x2 + y1 + y2)  # samples are finite or NaN: NaN if any is
        if fresh.any():
            x1, x2, y1, y2 = (np.where(fresh, x, v) for v in (x1, x2, y1, y2))
        b0, b1, b2 = self._b
        a1, a2 = self._a
        y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        self._state = (x, x1, y, y1)
        return np.asarray(y, dtype=np.float64)

    def reset(self) -> None:
        """Start again at rest on the next sample."""
        self._state = None

    def run(self, track: FloatArray) -> FloatArray:
        """A fresh pass over ``track`` ``(F, ...)``, equal to :meth:`update` per sample after
        a :meth:`reset`, element for element and bit for bit (the filter is left reset).

        Elements finite throughout take the biquad's recursion alone (the feed-forward part
        for every sample at once); elements with some NaN take :meth:`update`'s per-sample
        path; elements NaN throughout stay NaN.
        """
        self.reset()
        if track.shape[0] == 0:
            return track.copy()
        flat = track.reshape(track.shape[0], -1)
        out = np.full(flat.shape, np.nan)
        nan = np.isnan(flat)
        clean = ~nan.any(axis=0)
        if clean.any():
            out[:, clean] = self._recursion(flat[:, clean])
        mixed = np.flatnonzero(nan.any(axis=0) & ~nan.all(axis=0))
        if mixed.size:
            out[:, mixed] = super().run(flat[:, mixed])
        self.reset()
        return out.reshape(track.shape)

    def _recursion(self, x: FloatArray) -> FloatArray:
        """The filter over finite ``x`` ``(F, M)`` from rest at ``x[0]``, operations in
        :meth:`update`'s order (feed-forward terms summed first, then the two feedback terms
        subtracted one after the other)."""
        b0, b1, b2 = self._b
        x1 = np.concatenate([x[:1], x[:-1]])
        x2 = np.concatenate([x[:1], x[:1], x[:-2]])[: x.shape[0]]
        y: FloatArray = b0 * x + b1 * x1 + b2 * x2
        if x.shape[1] <= NARROW_ELEMENTS:
            return self._feedback_by_element(y, x[0])
        return self._feedback_by_sample(y, x[0])

    def _feedback_by_sample(self, y: FloatArray, start: FloatArray) -> FloatArray:
        """The feedback recursion on ``y`` ``(F, M)`` (feed-forward sums, replaced in place by
        the output) from rest at ``start`` ``(M,)``, one numpy step per sample."""
        a1, a2 = self._a
        term = np.empty(y.shape[1])
        y1 = y2 = start
        for i in range(y.shape[0]):
            row = y[i]
            np.multiply(a1, y1, out=term)
            np.subtract(row, term, out=row)
            np.multiply(a2, y2, out=term)
            np.subtract(row, term, out=row)
            y1, y2 = row, y1
        return y

    def _feedback_by_element(self, y: FloatArray, start: FloatArray) -> FloatArray:
        """:meth:`_feedback_by_sample` element by element on floats (the same operations),
        cheaper for a few elements."""
        a1, a2 = self._a
        columns = []
        for feed, first in zip(y.T.tolist(), start.tolist(), strict=True):
            y1 = y2 = first
            for i, t in enumerate(feed):  # the output replaces the feed-forward sum in place
                y1, y2 = t - a1 * y1 - a2 * y2, y1
                feed[i] = y1
            columns.append(feed)
        return np.array(columns, dtype=np.float64).T.copy()


class ButterworthFactory(FilterFactory):
    """Makes :class:`ButterworthLowPass` filters with cut-off ``cutoff_hz``."""

    def __init__(self, cutoff_hz: float) -> None:
        self.cutoff_hz = cutoff_hz

    def create(self, fps: float) -> Filter:
        """A fresh low-pass at ``fps``."""
        return ButterworthLowPass(self.cutoff_hz, fps)


def run_filter(factory: FilterFactory, fps: float, track: FloatArray) -> FloatArray:
    """Apply a fresh causal filter along axis 0 of ``track`` (``(F, ...)``)."""
    return factory.create(fps).run(track)


def zero_phase(factory: FilterFactory, fps: float, track: FloatArray, start: int = 0) -> FloatArray:
    """Forward then backward filtering along axis 0: no lag, for offline analysis.

    NaN elements split each element's track into segments filtered independently (and stay NaN).
    ``start``: only the samples from ``start`` on are wanted; the backward pass, which reaches
    a sample from the samples after it, stops there (the samples before are NaN; those from
    ``start`` on are the whole pass's, bit for bit).
    """
    forward = run_filter(factory, fps, track)
    if start <= 0:
        return run_filter(factory, fps, forward[::-1])[::-1].copy()
    out = np.full(forward.shape, np.nan)
    out[start:] = run_filter(factory, fps, forward[start:][::-1])[::-1]
    return out
