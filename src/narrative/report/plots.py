"""The report's charts, drawn with matplotlib's Agg backend and returned as base64 PNG strings."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

PALETTE = ["#1f4e79", "#c0504d", "#4f8a3c", "#8064a2", "#d98c1f", "#2c9fa5"]
MANY = [matplotlib.colormaps["tab20"](i) for i in range(20)]  # for series that may outnumber PALETTE (themes)
plt.rcParams.update(
    {
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "figure.dpi": 96,
    }
)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _dates(values: list[str]) -> pd.DatetimeIndex:
    return pd.to_datetime(values)


def _time_axis(axis, data: dict) -> None:
    """Fixed x range (the report's window) and concise date labels: a month or year is written once, not on
    every tick, whatever the window's length."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axis.set_xlim(pd.Timestamp(data["start"]), pd.Timestamp(data["end"]))


def index_vs_returns(data: dict) -> str:
    """Cumulative returns (top), the tested signal -- net stance per session -- (middle) and attention (bottom),
    on one fixed time axis; the calibrated shifts are vertical lines, named in the legend."""
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(9.5, 6.4), sharex=True, height_ratios=[3, 2, 1])
    for i, item in enumerate(data["tickers_detail"]):
        series = item["series"]
        top.plot(
            _dates(series["dates"]),
            [v * 100 if v is not None else None for v in series["cum_return"]],
            color=PALETTE[i % len(PALETTE)],
            lw=1.4,
            label=item["ticker"],
        )
    for j, bench in enumerate(dict.fromkeys(data["benchmarks"].values())):
        item = next(t for t in data["tickers_detail"] if t["benchmark"] == bench)
        top.plot(
            _dates(item["series"]["dates"]),
            [v * 100 if v is not None else None for v in item["series"]["cum_benchmark"]],
            color=["#777", "#aaa", "#555"][j % 3],
            lw=1.1,
            ls="--",
            label=f"{bench} (benchmark)",
        )
    top.set_ylabel("cumulative return, %")
    index = data["index"]
    dates = _dates(index["dates"])
    net = pd.Series(index["net"], index=dates, dtype=float)
    middle.bar(dates, net, color=["#4f8a3c" if v > 0 else "#c0504d" for v in net], width=2.0)
    limit = float(net.abs().max()) if len(net) and net.abs().max() > 0 else 1.0
    middle.set_ylim(-1.15 * limit, 1.15 * limit)
    middle.axhline(0, color="#999", lw=0.6)
    middle.set_ylabel("net stance")
    middle.set_title(
        "net stance per session: Σ relevance × stance of its relevant articles (the signal tested against returns)",
        loc="left",
        fontsize=8,
    )
    bottom.bar(dates, index["attention"], color="#1f4e79", width=2.0)
    bottom.set_ylim(0, max(max(index["attention"], default=0), 1) * 1.15)
    bottom.set_ylabel("articles")
    bottom.set_title("relevant articles per session", loc="left", fontsize=8)
    for j, shift in enumerate(data["shifts"]):
        for axis in (top, middle, bottom):
            axis.axvline(
                pd.Timestamp(shift["session"]),
                color="#d98c1f",
                lw=1.0,
                ls=":",
                label="calibrated shift" if axis is top and j == 0 else None,
            )
    top.legend(loc="upper left", frameon=False, ncol=3, fontsize=8)
    _time_axis(bottom, data)
    fig.suptitle(f"Narrative '{data['narrative']}' vs returns ({data['lead_ticker']} sessions)", x=0.01, ha="left")
    return _png(fig)


def correlogram(data: dict, ticker: str) -> str:
    """The calibrated cross-correlations of ``ticker`` at lags -10..+10: red when the permutation p < 0.05,
    outlined when the family-wise p < 0.05 too."""
    rows = [r for r in data["leadlag"] if r["ticker"] == ticker and r["test"] == "ccf" and r["statistic"] is not None]
    fig, axis = plt.subplots(figsize=(4.6, 2.8))
    lags = [r["lag"] for r in rows]
    corr = [r["statistic"] for r in rows]
    untested = bool(rows) and all(str(r["verdict"]).startswith("not tested") for r in rows)
    colors = ["#b8c2cc" if untested else "#c0504d" if (r["p_perm"] or 1) < 0.05 else "#1f4e79" for r in rows]
    edges = ["#000" if (r["p_fwer"] or 1) < 0.05 else "none" for r in rows]
    axis.bar(lags, corr, color=colors, edgecolor=edges, width=0.7)
    axis.axhline(0, color="#444", lw=0.6)
    limit = max([abs(c) for c in corr], default=0.1)
    axis.set_ylim(-1.15 * limit, 1.15 * limit)
    axis.set_xlim(-10.8, 10.8)
    axis.set_xlabel("lag k: corr(news_t, excess return_t+k); k > 0: news leads", fontsize=8)
    axis.set_title(
        f"{ticker}: not tested (too few news sessions)" if untested else ticker,
        loc="left",
        fontsize=9 if untested else None,
    )
    if not rows:
        axis.text(0.5, 0.5, "not testable", ha="center", transform=axis.transAxes)
    return _png(fig)


def event_cars(data: dict) -> str:
    """CAR per calibrated shift, window and ticker, with ±1.96 standard-error whiskers (CAR / standardised CAR)."""
    rows = [c for s in data["shifts"] for c in s["car"] if c["car"] is not None]
    fig, axis = plt.subplots(figsize=(9.5, 3.2))
    if not rows:
        axis.text(
            0.5,
            0.5,
            "no CAR to show (no significant shift, or not enough history)",
            ha="center",
            transform=axis.transAxes,
        )
        axis.set_axis_off()
        return _png(fig)
    tickers = list(dict.fromkeys(c["ticker"] for c in rows))
    labels, x = [], 0.0
    for shift in data["shifts"]:
        for window in dict.fromkeys(c["window"] for c in shift["car"]):
            for j, ticker in enumerate(tickers):
                hit = next((c for c in shift["car"] if c["ticker"] == ticker and c["window"] == window), None)
                if hit and hit["car"] is not None:
                    err = abs(hit["car"] / hit["scar"]) * 1.96 if hit["scar"] else 0
                    axis.bar(
                        x + j * 0.8 / len(tickers),
                        hit["car"],
                        width=0.8 / len(tickers),
                        color=PALETTE[j % len(PALETTE)],
                        yerr=err,
                        capsize=2,
                        label=ticker,
                    )
            labels.append((x + 0.3, f"{shift['session']}\n{window}"))
            x += 1.2
    axis.set_xticks([p for p, _ in labels], [t for _, t in labels], fontsize=7)
    axis.axhline(0, color="#444", lw=0.6)
    axis.set_ylabel("CAR, %")
    handles, names = axis.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    axis.legend(unique.values(), unique.keys(), frameon=False, ncol=len(tickers))
    return _png(fig)


def themes(data: dict) -> str:
    """Sentences naming each sub-theme per period, in the relevant articles."""
    block = data["themes"]
    fig, axis = plt.subplots(figsize=(9.5, 2.8))
    if not block["periods"]:
        axis.text(0.5, 0.5, "no sub-theme named in the relevant articles", ha="center", transform=axis.transAxes)
        axis.set_axis_off()
        return _png(fig)
    x = range(len(block["periods"]))
    bottom = [0] * len(block["periods"])
    for i, (theme, counts) in enumerate(block["counts"].items()):
        axis.bar(
            x,
            counts,
            bottom=bottom,
            color=MANY[(2 * i) % 20 if i < 10 else (2 * i + 1) % 20],
            label=block["labels"][theme],
            width=0.8,
        )
        bottom = [b + c for b, c in zip(bottom, counts)]
    _period_ticks(axis, block["periods"])
    axis.set_ylabel("sentences")
    axis.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def entities(data: dict) -> str:
    """Mean sentiment toward the most-mentioned entities, per period (marker size: mentions)."""
    rows = data["entities"]
    fig, axis = plt.subplots(figsize=(9.5, 2.8))
    if not rows:
        axis.text(0.5, 0.5, "no per-entity sentiment in the relevant articles", ha="center", transform=axis.transAxes)
        axis.set_axis_off()
        return _png(fig)
    periods = data["themes"]["periods"] or sorted({r["period"] for r in rows})
    position = {p: i for i, p in enumerate(periods)}
    rows = [r for r in rows if r["period"] in position]
    for i, name in enumerate(dict.fromkeys(r["entity"] for r in rows)):
        mine = [r for r in rows if r["entity"] == name]
        axis.plot(
            [position[r["period"]] for r in mine],
            [r["sentiment"] for r in mine],
            marker="o",
            lw=1,
            color=PALETTE[i % len(PALETTE)],
            label=name,
            markersize=4,
        )
    _period_ticks(axis, periods)
    axis.set_ylim(-1.05, 1.05)
    axis.axhline(0, color="#444", lw=0.6)
    axis.set_ylabel("sentiment (pos − neg)")
    axis.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def _period_ticks(axis, periods: list[str]) -> None:
    """Every period of the window on the axis; on long windows only every k-th is labelled so labels never
    overlap, and the axis spans the whole window whether or not a period had news."""
    step = max(1, -(-len(periods) // 8))  # at most 8 labels: "2024-01" at 7 pt fits 8 to a 9.5-inch axis
    axis.set_xticks(range(0, len(periods), step), periods[::step], fontsize=7)
    axis.set_xlim(-0.6, len(periods) - 0.4)
