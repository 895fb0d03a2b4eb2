"""Narrative shifts that mean something: a calibrated change-in-level test on the news sessions (issue 8, item 5).

What is tested. The index's ``net`` (sum of relevance x stance) on the sessions that had news, in time order
(quiet sessions carry no information about the narrative's tone and would dilute a step with zeros). For every
split ``i`` leaving at least ``min_segment`` news sessions on each side, the two-sample t statistic of the mean
after against the mean before (pooled variance); the test statistic is the largest ``|t|``.

How it is calibrated. Under "no shift" the order of the news sessions carries no information, so the same
maximum is recomputed on ``n_perm`` block permutations of the values (blocks of ``ceil(m ** (1/3))`` news
sessions keep short-range persistence of tone, which would otherwise make the test liberal), and the p-value is
``(1 + #{permuted max >= observed}) / (1 + n_perm)``. A shift is reported only when ``p < alpha`` AND its size
in pooled standard deviations (Cohen's d) is at least ``min_effect``; then each side is searched again
(binary segmentation, at most ``max_shifts``). Under no shift at all the chance of reporting any shift is the
first test's level, ``alpha``; ``scripts/eval_inference.py`` measures it.

How it is dated. A shift is dated at the session of the first news session after the split: the session to
which its first contributing article was credited (``first_published`` gives that article's time), never
earlier, so "what followed" windows that start there contain no returns from before the news.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

LOGGER = logging.getLogger(__name__)

METHOD = "max-t block permutation"
MIN_EFFECT = 0.5  # Cohen's d: half a pooled standard deviation of the news sessions' net stance
MIN_SEGMENT = 3


@dataclass
class Shift:
    session: str  # the session of the first contributing article after the change
    size: float  # mean net after minus mean net before (news sessions only)
    direction: str  # "up" | "down"
    before: float
    after: float
    method: str
    p_value: float
    effect: float = 0.0  # |size| in pooled standard deviations
    first_published: str | None = None  # the first contributing article's time, when the index gives it
    news_before: int = 0
    news_after: int = 0


def detect_shifts(
    index: pd.DataFrame | pd.Series,
    *,
    n_perm: int = 999,
    seed: int = 0,
    min_effect: float = MIN_EFFECT,
    alpha: float = 0.05,
    min_segment: int = MIN_SEGMENT,
    max_shifts: int = 3,
) -> list[Shift]:
    """Calibrated shifts in the narrative index frame (``net``, ``attention``, ``first_published``), by date.

    A bare series is read as ``net`` with news wherever it is non-zero.

    >>> idx = pd.bdate_range("2024-01-01", periods=80); rng = np.random.default_rng(0)
    >>> net = pd.Series(np.r_[np.full(40, -0.5), np.full(40, 0.5)] + rng.normal(0, 0.3, 80), idx)
    >>> [(s.session, s.direction) for s in detect_shifts(net, n_perm=199)]
    [('2024-02-26', 'up')]
    """
    frame = index.to_frame("net") if isinstance(index, pd.Series) else index
    net = frame["net"].astype(float).fillna(0.0)
    news = frame["attention"].fillna(0).to_numpy() > 0 if "attention" in frame else net.to_numpy() != 0
    values = net.to_numpy()[news]
    sessions = frame.index[news]
    published = frame["first_published"][news] if "first_published" in frame else None
    rng = np.random.default_rng(seed)
    found: list[tuple[int, int, int, float]] = []
    pending = [(0, len(values))]
    while pending and len(found) < max_shifts:
        lo, hi = pending.pop(0)
        hit = _test_segment(values[lo:hi], n_perm=n_perm, rng=rng, min_segment=min_segment)
        if hit is None:
            continue
        split, p_value, effect = hit
        if p_value < alpha and effect >= min_effect:
            found.append((lo, lo + split, hi, p_value))
            pending += [(lo, lo + split), (lo + split, hi)]
    shifts = []
    for lo, split, hi, p_value in found:
        before, after = float(values[lo:split].mean()), float(values[split:hi].mean())
        pooled = _pooled_sd(values[lo:split], values[split:hi])
        when = published.iloc[split] if published is not None else None
        shifts.append(
            Shift(
                session=str(pd.Timestamp(sessions[split]).date()),
                size=after - before,
                direction="up" if after > before else "down",
                before=before,
                after=after,
                method=METHOD,
                p_value=float(p_value),
                effect=abs(after - before) / pooled if pooled > 0 else math.inf,
                first_published=None if when is None or pd.isna(when) else str(when),
                news_before=split - lo,
                news_after=hi - split,
            )
        )
    return sorted(shifts, key=lambda s: s.session)


def _test_segment(values: np.ndarray, *, n_perm: int, rng: np.random.Generator, min_segment: int):
    """The best split of ``values``, its permutation p-value and its effect size; None when untestable."""
    m = len(values)
    if m < 2 * min_segment + 1 or np.ptp(values) == 0:
        return None
    observed = _max_t(values[None, :], min_segment)
    split = int(observed[1][0])
    block = max(1, math.ceil(m ** (1 / 3)))
    starts = np.arange(0, m, block)
    order = np.stack(
        [np.concatenate([np.arange(s, min(s + block, m)) for s in rng.permutation(starts)]) for _ in range(n_perm)]
    )
    null, _ = _max_t(values[order], min_segment)
    p_value = (1 + int((null >= observed[0][0] - 1e-9 * max(observed[0][0], 1.0)).sum())) / (1 + n_perm)
    pooled = _pooled_sd(values[:split], values[split:])
    effect = abs(values[split:].mean() - values[:split].mean()) / pooled if pooled > 0 else math.inf
    return split, p_value, effect


def _max_t(rows: np.ndarray, min_segment: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest |two-sample t| over the splits of each row, and where it is (index of the first 'after' item)."""
    m = rows.shape[1]
    splits = np.arange(min_segment, m - min_segment + 1)
    total, total_sq = rows.sum(axis=1, keepdims=True), (rows**2).sum(axis=1, keepdims=True)
    head = np.cumsum(rows, axis=1)[:, splits - 1]
    tail = total - head
    n1, n2 = splits[None, :].astype(float), (m - splits)[None, :].astype(float)
    within = total_sq - head**2 / n1 - tail**2 / n2
    variance = np.maximum(within, 0.0) / (m - 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.abs(tail / n2 - head / n1) / np.sqrt(variance * (1 / n1 + 1 / n2))
    t = np.where(np.isnan(t), 0.0, t)
    best = t.argmax(axis=1)
    return t[np.arange(len(rows)), best], splits[best]


def _pooled_sd(before: np.ndarray, after: np.ndarray) -> float:
    within = ((before - before.mean()) ** 2).sum() + ((after - after.mean()) ** 2).sum()
    dof = len(before) + len(after) - 2
    return float(np.sqrt(within / dof)) if dof > 0 else 0.0
