"""Calibrated lead-lag inference: does the narrative lead returns, or follow them? (issue 8, item 4)

The tests, per ticker column of ``returns``:

* ``ccf`` at lags ``-max_lag..+max_lag``: Pearson ``corr(news_t, returns_{t+k})``; ``k > 0`` means the news
  leads returns by ``k`` sessions, ``k < 0`` that returns lead the news;
* ``granger_news_to_returns`` and ``granger_returns_to_news`` at lags ``1..granger_lag``: the F statistic of
  adding ``p`` lags of one series to an autoregression of the other (constant + its own ``p`` lags), computed
  with numpy least squares on all permutations at once.

Why permutation p-values, and why circular shifts. The news index is zero on most sessions and returns are
fat-tailed, so Pearson's and Fisher's reference distributions do not hold: with one news day, a "correlation"
is one standardised return. A circular shift of the news series by ``s`` sessions relative to the returns keeps
everything the null hypothesis does not speak about -- how many news days there are, their values, their
clustering and autocorrelation, and the returns' own fat tails, volatility clustering and autocorrelation --
and only breaks the alignment between the two. Shifts within ``max(max_lag, granger_lag)`` of zero (either way
round the circle) are excluded, because there the shifted series still lines up with the real one at some
tested lag and would carry a real effect into the null. When the allowed shifts are fewer than ``n_perm`` all
of them are used (an exhaustive, deterministic test); otherwise ``n_perm`` are drawn without replacement. The
p-value is ``(1 + #{shifted statistic >= observed}) / (1 + shifts)``; ties count against the observation, so
the test is conservative rather than liberal when the data are discrete. ``scripts/eval_inference.py``
measures the resulting false-positive rates.

Short samples, and why the family-wise p has a floor. A circular shift moves the whole lag window: the
family at shift ``s`` holds the cross-correlations at offsets ``s - max_lag .. s + max_lag``, so neighbouring
shifts share ``2 max_lag`` of their ``2 max_lag + 1`` lags and the placebo family maxima come in lumps of about
``2 max_lag + 1`` near-equal values, while the observed window is one lump of its own. The sample holds only
about ``W = T / (2 max_lag + 1)`` separate windows, and under the null the observed window is the most extreme
of them with probability ``1 / W``, however many shifts are drawn. A family-wise p below ``1 / W`` therefore
cannot be calibrated: with the excluded near-zero shifts it came out as small as ``1 / (shifts + 1)``, and at
250 sessions (``W`` about 12) about 8% of pure-noise families reached p < 0.05 (measured over 400-500 seeds:
8.4-9.2% with 10 news sessions, 6.5-7% with dense AR(1) news), while the exact test over every circular shift
gave 4.5-5%. Standardising differently (by the shifted rows only, or not at all), widening the exclusion,
permuting blocks of the news, or combining per-lag nulls (Sidak) did not help: all reuse the same ``T``
offsets. So the family-wise p is floored at ``(2 max_lag + 1) / T``, which is also the smallest p the exact
all-shift test gives a real effect. A test at ``alpha`` thus needs ``T > (2 max_lag + 1) / alpha`` -- more than
420 sessions for lags -10..+10 at 5% (more than 220 for lags -5..+5). Shorter samples use every shift ``1..T-1``
instead: the real alignment is then one of the group of all circular shifts, which makes the test exact under
independence (a real effect also shows in the nearby shifts, so its family-wise p stays near ``(2 max_lag + 1) / T``),
and ``enough`` is False.

Family-wise control (max-statistic, Westfall-Young single step) across the WHOLE family -- every ticker, lag
and kind: each test's statistic is put on a z-like scale (Fisher z for correlations, the F's normal quantile
for Granger), standardised by the mean and standard deviation of its own permutation distribution, and the
family-wise p of a test is the share of shifts whose largest standardised statistic reaches the test's own.
All tickers share the same shift, so the dependence between tickers and lags is kept. ``p_fwer >= p_perm``
always holds.

Minimum evidence: with fewer than ``min_news_sessions`` news sessions, or a short sample (at most
``1 / alpha`` placebo windows: 420 sessions or fewer for lags -10..+10 at 5%), the tests are still returned,
but ``enough`` is False, ``reason`` says why, and ``summary`` says the data are too thin to test rather than
report a lead or lag. Correlation is not causation, and Granger causality is only incremental predictability.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

LOGGER = logging.getLogger(__name__)

MIN_NEWS_SESSIONS = 8
ALPHA = 0.05
# Separate placebo lag windows needed at ALPHA (1 / ALPHA; module docstring, "Short samples"); leadlag uses 1 / alpha.
MIN_PLACEBO_WINDOWS = round(1 / ALPHA)
_BATCH = 256  # permutations per block of the batched Granger regressions (memory: batch x sessions x 11)
COLUMNS = ["ticker", "test", "lag", "statistic", "p_perm", "p_fwer", "n", "news_sessions", "verdict"]


@dataclass
class LeadLagResult:
    tests: pd.DataFrame
    news_sessions: int
    enough: bool
    reason: str
    summary: str
    n_perm: int = 0  # the number of circular shifts actually used
    sessions: int = 0


MAX_LAG = 10  # the widest cross-correlation lag range tested: -10..+10 sessions


def widest_testable_lag(sessions: int, *, most: int = MAX_LAG, alpha: float = ALPHA) -> int:
    """The widest lag range ``-L..+L`` (at most ``most``) that ``sessions`` can test at ``alpha``.

    The family-wise p cannot go below ``(2 L + 1) / sessions`` (see "Short samples"), so ``L`` is the largest with
    ``(2 L + 1) / sessions < alpha``. It depends on the sample's length only, never on the data, so choosing it
    does not bias the test. 0 means no lag range is testable.

    >>> widest_testable_lag(250), widest_testable_lag(461), widest_testable_lag(60)
    (5, 10, 0)
    """
    widest = math.ceil((sessions * alpha - 1) / 2) - 1
    return max(0, min(most, widest))


def leadlag(
    index: pd.Series,
    returns: pd.DataFrame | pd.Series,
    *,
    max_lag: int = MAX_LAG,
    granger_lag: int = 5,
    n_perm: int = 999,
    seed: int = 0,
    min_news_sessions: int = MIN_NEWS_SESSIONS,
    alpha: float = ALPHA,
) -> LeadLagResult:
    """Cross-correlations and Granger tests of ``index`` against every column of ``returns``, calibrated.

    ``index`` is the session index's ``net`` (0 on quiet sessions; NaN is read as quiet), ``returns`` the excess
    returns, one column per ticker, on the same sessions (NaN allowed). Returns a :class:`LeadLagResult` whose
    ``tests`` frame has one row per test (see the module docstring for the method).

    >>> idx = pd.bdate_range("2024-01-01", periods=500); rng = np.random.default_rng(1)
    >>> news = pd.Series(rng.normal(size=500), idx)
    >>> rets = pd.DataFrame({"AAA": 0.6 * news.shift(1).fillna(0) + rng.normal(size=500)}, idx)
    >>> leadlag(news, rets, n_perm=99).summary.startswith("news led AAA returns by 1 session")
    True
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    frame = frame.sort_index().astype(float)
    news = index.reindex(frame.index).astype(float).fillna(0.0).to_numpy()
    values = frame.to_numpy()
    tickers = [str(c) for c in frame.columns]
    sessions = len(news)
    news_sessions = int(np.count_nonzero(news))
    radius = max(max_lag, granger_lag)
    allowed = np.arange(radius + 1, sessions - radius)
    window = 2 * max_lag + 1
    floor = window / max(sessions, 1)  # 1 / (separate lag windows in the sample): see "Short samples"
    short = floor >= alpha
    if short:  # few, overlapping placebos: use every shift, which keeps the test exact (see module docstring)
        allowed = np.arange(1, sessions)
    rng = np.random.default_rng(seed)
    shifts = allowed if len(allowed) <= n_perm else np.sort(rng.choice(allowed, size=n_perm, replace=False))
    matrix = np.vstack([news, np.stack([np.roll(news, s) for s in shifts])]) if len(shifts) else news[None, :]
    meta, stat, score = _family(matrix, values, tickers, max_lag, granger_lag)
    p_perm, p_fwer = _permutation_p(score)
    if not short:
        p_fwer = np.where(np.isnan(p_fwer), np.nan, np.maximum(p_fwer, floor))
    tests = pd.DataFrame(meta)
    tests["statistic"] = stat[0]
    tests["p_perm"] = p_perm
    tests["p_fwer"] = p_fwer
    tests["news_sessions"] = news_sessions
    tests["verdict"] = [_verdict(row, alpha) for row in tests.itertuples()]
    tests = tests[COLUMNS]
    reason = _reason(news_sessions, min_news_sessions, short, window, sessions, alpha)
    summary = _summary(tests, news_sessions, reason, alpha)
    return LeadLagResult(
        tests=tests,
        news_sessions=news_sessions,
        enough=not reason,
        reason=reason,
        summary=summary,
        n_perm=len(shifts),
        sessions=sessions,
    )


def _family(matrix: np.ndarray, values: np.ndarray, tickers: list[str], max_lag: int, granger_lag: int):
    """Statistics of every test on every row of ``matrix`` (row 0: observed news, then the shifted ones).

    Returns the test descriptions, the raw statistics (rows x tests) and z-like scores used for the p-values.
    """
    meta: dict[str, list] = {"ticker": [], "test": [], "lag": [], "n": []}
    stats_cols, score_cols = [], []
    matrix = matrix / _spread(
        matrix[0]
    )  # F and r are scale-free; unit scale keeps the normal equations well conditioned
    for j, ticker in enumerate(tickers):
        y = values[:, j]
        y = y / _spread(y)
        r, n = _ccf(matrix, y, max_lag)
        stats_cols.append(r)
        with np.errstate(invalid="ignore", divide="ignore"):
            fisher = np.abs(np.arctanh(np.clip(r, -0.999999, 0.999999))) * np.sqrt(np.maximum(n - 3, 1))
        score_cols.append(fisher)
        lags = list(range(-max_lag, max_lag + 1))
        meta["ticker"] += [ticker] * len(lags)
        meta["test"] += ["ccf"] * len(lags)
        meta["lag"] += lags
        meta["n"] += [int(v) for v in n]
        for test, fn in (
            ("granger_news_to_returns", _granger_news_to_returns),
            ("granger_returns_to_news", _granger_returns_to_news),
        ):
            for p in range(1, granger_lag + 1):
                f, n_rows = fn(matrix, y, p)
                stats_cols.append(f[:, None])
                score_cols.append(_f_to_z(f, p, n_rows - 2 * p - 1)[:, None])
                meta["ticker"].append(ticker)
                meta["test"].append(test)
                meta["lag"].append(p)
                meta["n"].append(int(n_rows))
    return meta, np.hstack(stats_cols), np.hstack(score_cols)


def _spread(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    spread = float(finite.std()) if len(finite) > 1 else 0.0
    return spread if spread > 0 else 1.0


def _ccf(matrix: np.ndarray, y: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Pearson ``corr(x_t, y_{t+k})`` over the pairs where ``y_{t+k}`` exists, for every row of ``matrix``."""
    sessions = len(y)
    lags = range(-max_lag, max_lag + 1)
    weights = np.zeros((sessions, len(lags)))
    mask = np.zeros((sessions, len(lags)))
    for i, k in enumerate(lags):
        ahead = np.full(sessions, np.nan)
        if k >= 0:
            ahead[: sessions - k] = y[k:]
        else:
            ahead[-k:] = y[: sessions + k]
        valid = ~np.isnan(ahead)
        mask[valid, i] = 1.0
        weights[valid, i] = ahead[valid]
    n = mask.sum(axis=0)
    s_xy, s_x, s_xx = matrix @ weights, matrix @ mask, (matrix**2) @ mask
    s_y, s_yy = weights.sum(axis=0), (weights**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = s_xy - s_x * s_y / n
        var_x = s_xx - s_x**2 / n
        var_y = s_yy - s_y**2 / n
        r = cov / np.sqrt(var_x * var_y)
    r[(var_x <= 1e-10 * np.maximum(n, 1)) | ~np.isfinite(r)] = np.nan
    return r, n


def _lagged(series: np.ndarray, p: int) -> np.ndarray:
    """Columns ``series_{t-1} .. series_{t-p}`` for ``t = p .. end`` (last axis = time)."""
    end = series.shape[-1]
    return np.stack([series[..., p - j : end - j] for j in range(1, p + 1)], axis=-1)


def _granger_news_to_returns(matrix: np.ndarray, y: np.ndarray, p: int) -> tuple[np.ndarray, int]:
    """F of news lags added to ``y_t ~ 1 + y_{t-1..t-p}``. The restricted model does not involve the news,
    so it is projected out once (Frisch-Waugh) and only the news block is solved per permutation."""
    y_now, y_lags = y[p:], _lagged(y, p)
    rows = ~np.isnan(y_now) & ~np.isnan(y_lags).any(axis=1)
    n_rows = int(rows.sum())
    if n_rows < 2 * p + 3:
        return np.full(len(matrix), np.nan), n_rows
    q, _ = np.linalg.qr(np.column_stack([np.ones(n_rows), y_lags[rows]]))
    y_res = y_now[rows] - q @ (q.T @ y_now[rows])
    rss_r = float(y_res @ y_res)
    out = np.empty(len(matrix))
    for start in range(0, len(matrix), _BATCH):
        x_res = _residualise(_lagged(matrix[start : start + _BATCH], p)[:, rows, :], q)
        explained = _explained(x_res, np.broadcast_to(y_res, x_res.shape[:2]))
        out[start : start + _BATCH] = _f_stat(rss_r, rss_r - explained, p, n_rows)
    return out, n_rows


def _granger_returns_to_news(matrix: np.ndarray, y: np.ndarray, p: int) -> tuple[np.ndarray, int]:
    """F of return lags added to ``x_t ~ 1 + x_{t-1..t-p}``. The return lags (with the constant) are fixed, so
    the unrestricted model is solved after projecting them out once; the restricted one is solved per shift."""
    y_lags = _lagged(y, p)
    rows = ~np.isnan(y_lags).any(axis=1)
    n_rows = int(rows.sum())
    if n_rows < 2 * p + 3:
        return np.full(len(matrix), np.nan), n_rows
    q, _ = np.linalg.qr(np.column_stack([np.ones(n_rows), y_lags[rows]]))
    out = np.empty(len(matrix))
    for start in range(0, len(matrix), _BATCH):
        block = matrix[start : start + _BATCH]
        x_now = block[:, p:][:, rows]
        x_lags = _lagged(block, p)[:, rows, :]
        centred_now = x_now - x_now.mean(axis=1, keepdims=True)
        centred_lags = x_lags - x_lags.mean(axis=1, keepdims=True)
        rss_r = np.einsum("bn,bn->b", centred_now, centred_now) - _explained(centred_lags, centred_now)
        now_res = x_now - (x_now @ q) @ q.T
        lags_res = _residualise(x_lags, q)
        rss_u = np.einsum("bn,bn->b", now_res, now_res) - _explained(lags_res, now_res)
        out[start : start + _BATCH] = _f_stat(rss_r, rss_u, p, n_rows)
    return out, n_rows


def _residualise(block: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``block`` (shifts x rows x columns) minus its projection on the orthonormal columns ``q``."""
    shifts, rows, cols = block.shape
    flat = np.moveaxis(block, 1, 0).reshape(rows, shifts * cols)  # one GEMM instead of one per shift
    fitted = q @ (q.T @ flat)
    return block - np.moveaxis(fitted.reshape(rows, shifts, cols), 0, 1)


def _explained(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Explained sum of squares of ``target`` (shifts x rows) on ``design`` (shifts x rows x k), batched.

    A tiny ridge keeps singular designs (a sparse series whose lags are all zero on the rows) solvable; the
    target's projection lies in the design's span, so the ridge does not change the answer otherwise."""
    gram = np.swapaxes(design, 1, 2) @ design
    cross = np.swapaxes(design, 1, 2) @ target[:, :, None]
    ridge = 1e-10 * (np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-12) * np.eye(gram.shape[1])
    coef = np.linalg.solve(gram + ridge, cross)
    return (np.swapaxes(cross, 1, 2) @ coef)[:, 0, 0]


def _f_stat(rss_r, rss_u, p: int, n_rows: int) -> np.ndarray:
    df = n_rows - 2 * p - 1
    rss_r, rss_u = np.asarray(rss_r, dtype=float), np.asarray(rss_u, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = ((rss_r - rss_u) / p) / (rss_u / df)
    f = np.where(rss_r <= 1e-10 * n_rows, np.nan, f)  # the dependent variable is constant: nothing to test
    return np.where(np.isfinite(f), np.maximum(f, 0.0), np.where(np.isnan(f), np.nan, np.inf))


def _f_to_z(f: np.ndarray, p: int, df: int) -> np.ndarray:
    """The normal quantile of F's upper tail, on the log scale so huge F's stay finite and ordered."""
    if df < 1:
        return np.full_like(f, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return -special.ndtri_exp(stats.f.logsf(f, p, df))


def _permutation_p(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-test permutation p and the family-wise (max-statistic) p; row 0 of ``score`` is the observation."""
    observed, null = score[0], score[1:]
    n_null = len(null)
    if n_null == 0:
        nan = np.full(score.shape[1], np.nan)
        return nan, nan
    tolerance = 1e-9 * np.maximum(np.abs(observed), 1.0)  # equal statistics from float noise count as ties
    filled = np.where(np.isnan(null), -np.inf, null)
    p_perm = (1 + (filled >= (observed - tolerance)).sum(axis=0)) / (1 + n_null)
    # The standardisation uses the observed row too: a symmetric function of all rows keeps them exchangeable.
    # Estimated from the shifted rows alone, an observation beyond all of them is extrapolated while the
    # shifted maxima are judged in-sample, which made the family-wise test liberal with few shifts.
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a test with no finite value (all-NaN column) stays NaN
        finite = np.where(np.isfinite(score), score, np.nan)
        mean, sd = np.nanmean(finite, axis=0), np.nanstd(finite, axis=0)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, np.nan)
    standard_obs = (observed - mean) / sd
    standard_null = np.where(np.isnan(null), -np.inf, (filled - mean) / sd)
    standard_null = np.where(np.isnan(standard_null), -np.inf, standard_null)
    family_max = standard_null.max(axis=1)
    obs_tol = 1e-9 * np.maximum(np.abs(standard_obs), 1.0)
    p_fwer = (1 + (family_max[:, None] >= (standard_obs - obs_tol)[None, :]).sum(axis=0)) / (1 + n_null)
    p_fwer = np.maximum(p_fwer, p_perm)  # when a test's own spread is degenerate the max cannot beat its own p
    bad = np.isnan(observed) | np.isnan(standard_obs)
    p_perm = np.where(np.isnan(observed), np.nan, p_perm)
    p_fwer = np.where(bad, np.where(np.isnan(observed), np.nan, 1.0), p_fwer)
    return p_perm, p_fwer


def describe(test: str, lag: int, ticker: str, statistic: float | None = None) -> str:
    """Plain words for one test: ``describe("ccf", -1, "BABA")`` -> "BABA returns led the news by 1 session"."""
    sessions = f"{abs(lag)} session{'s' if abs(lag) != 1 else ''}"
    if test == "ccf":
        if lag > 0:
            return f"news led {ticker} returns by {sessions}"
        if lag < 0:
            return f"{ticker} returns led the news by {sessions}"
        return f"news and {ticker} returns moved in the same session"
    if test == "granger_news_to_returns":
        return f"past news (up to {sessions} back) helped predict {ticker} returns"
    return f"past {ticker} returns (up to {sessions} back) helped predict the news"


def _verdict(row, alpha: float) -> str:
    if row.p_perm != row.p_perm:  # NaN
        return "not testable (no variation at this lag)"
    words = describe(row.test, row.lag, row.ticker)
    if row.p_fwer < alpha:
        return f"{words}: significant after family-wise control"
    if row.p_perm < alpha:
        return f"p < {alpha:g} alone, not after family-wise control"
    return "no evidence"


def _reason(news_sessions: int, minimum: int, short: bool, window: int, sessions: int, alpha: float) -> str:
    if news_sessions < minimum:
        return f"{news_sessions} news session{'s' if news_sessions != 1 else ''}; at least {minimum} needed to test"
    if short:
        needed = int(window / alpha) + 1  # the floor window / T must fall below alpha
        return (
            f"{sessions} sessions hold about {sessions / window:.0f} separate placebo windows of {window} lags, "
            f"too few for a family-wise p below {alpha:g}; at least {needed} sessions needed to test "
            f"(or fewer lags)"
        )
    return ""


def _summary(tests: pd.DataFrame, news_sessions: int, reason: str, alpha: float) -> str:
    if reason.startswith(f"{news_sessions} news session"):
        plural = "s" if news_sessions != 1 else ""
        return f"too few news days to test: {news_sessions} news session{plural}"
    if reason:
        return f"too little data to test: {reason}"
    testable = tests.dropna(subset=["p_fwer"])
    if testable.empty:
        return "nothing could be tested (no variation in the news or returns)"
    significant = testable[testable["p_fwer"] < alpha]
    if significant.empty:
        return (
            f"no lead or lag survives family-wise control ({len(testable)} tests, smallest family-wise "
            f"p {testable['p_fwer'].min():.2f})"
        )
    # Ties in p (strong effects all reach the smallest p a number of shifts allows) go to the cross-correlation,
    # whose lag reads directly as "who led whom", and then to the strongest.
    best = (
        significant.assign(strength=significant["statistic"].abs(), granger=significant["test"] != "ccf")
        .sort_values(["p_fwer", "p_perm", "granger", "strength"], ascending=[True, True, True, False])
        .iloc[0]
    )
    words = describe(best["test"], int(best["lag"]), best["ticker"])
    value = f"corr {best['statistic']:+.2f}, " if best["test"] == "ccf" else f"F {best['statistic']:.1f}, "
    others = len(significant) - 1
    tail = f"; {others} other test{'s' if others != 1 else ''} also significant" if others else ""
    return f"{words} ({value}FWER p {best['p_fwer']:.3f}){tail}"


def rolling_correlation(
    news: pd.Series, returns: pd.Series, *, window: int = 60, min_periods: int | None = None
) -> pd.Series:
    """Rolling Pearson correlation over ``window`` sessions (descriptive only: no p-value is attached).

    >>> idx = pd.bdate_range("2024-01-01", periods=5)
    >>> x, y = pd.Series([1., 2, 3, 4, 5], idx), pd.Series([2., 4, 6, 8, 10], idx)
    >>> rolling_correlation(x, y, window=3, min_periods=3).round(6).tolist()[-1]
    1.0
    """
    frame = pd.concat({"x": news, "y": returns}, axis=1, sort=True).dropna()
    return frame["x"].rolling(window, min_periods=min_periods or max(10, window // 2)).corr(frame["y"])
