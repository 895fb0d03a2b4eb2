"""Narrative shifts: change points in the session index.

The signal is the index's ``net`` stance smoothed by a 5-session rolling mean. With ``ruptures`` installed the
change points come from PELT with an L2 cost and a BIC-like penalty ``3 * var * log(n)`` (method
``ruptures.pelt``); without it, from a z-score rule (method ``zscore``): a session where the 10-session rolling
mean moves more than ``z`` standard deviations (of the whole signal) away from the mean of the 10 sessions
before, at least ``min_gap`` sessions after the previous shift. Each shift reports its session, its size
(mean of the segment after minus mean of the segment before) and direction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

LOGGER = logging.getLogger(__name__)


@dataclass
class Shift:
    session: str
    size: float
    direction: str  # "up" | "down"
    before: float
    after: float
    method: str


def detect_shifts(signal: pd.Series, *, smooth: int = 5, max_shifts: int = 5, min_gap: int = 10,
                  method: str = "auto", z: float = 1.5) -> list[Shift]:
    """Change points of ``signal`` (indexed by session), largest first, at most ``max_shifts``."""
    series = signal.fillna(0.0).rolling(smooth, min_periods=1).mean()
    values = series.to_numpy(dtype=float)
    if len(values) < 2 * min_gap or np.std(values) == 0:
        return []
    points: list[int] = []
    used = method
    if method in ("auto", "ruptures"):
        try:
            import ruptures

            penalty = 3 * float(np.var(values)) * np.log(len(values))
            points = [p for p in ruptures.Pelt(model="l2", min_size=min_gap).fit(values.reshape(-1, 1))
                      .predict(pen=penalty) if p < len(values)]
            used = "ruptures.pelt"
        except ImportError:
            if method == "ruptures":
                raise
            used = "zscore"
    if used == "zscore":
        points = _zscore_points(values, min_gap=min_gap, z=z)
    bounds = [0, *points, len(values)]
    shifts = []
    for i, point in enumerate(points):
        before = float(values[bounds[i]:point].mean())
        after = float(values[point:bounds[i + 2]].mean())
        shifts.append(Shift(str(series.index[point].date()), after - before, "up" if after > before else "down",
                            before, after, used))
    shifts.sort(key=lambda s: abs(s.size), reverse=True)
    return shifts[:max_shifts]


def _zscore_points(values: np.ndarray, *, min_gap: int, z: float) -> list[int]:
    scale = float(np.std(values))
    points: list[int] = []
    window = min_gap
    for t in range(window, len(values) - window):
        before = values[t - window:t].mean()
        after = values[t:t + window].mean()
        if abs(after - before) > z * scale and (not points or t - points[-1] >= min_gap):
            points.append(t)
    return points
