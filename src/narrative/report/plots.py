"""The report's charts, drawn with matplotlib's Agg backend and returned as base64 PNG strings."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

PALETTE = ["#1f4e79", "#c0504d", "#4f8a3c", "#8064a2", "#d98c1f", "#2c9fa5"]
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "axes.grid": True, "grid.alpha": 0.25, "figure.dpi": 96})


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _dates(values: list[str]) -> pd.DatetimeIndex:
    return pd.to_datetime(values)


def index_vs_returns(data: dict) -> str:
    """Cumulative returns (top) and the narrative index with attention bars (bottom), shifts marked."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 5.6), sharex=True, height_ratios=[3, 2])
    for i, item in enumerate(data["tickers_detail"]):
        series = item["series"]
        top.plot(_dates(series["dates"]), [v * 100 if v is not None else None for v in series["cum_return"]],
                 color=PALETTE[i % len(PALETTE)], lw=1.4, label=item["ticker"])
    first = data["tickers_detail"][0]["series"]
    top.plot(_dates(first["dates"]), [v * 100 if v is not None else None for v in first["cum_benchmark"]],
             color="#777", lw=1.2, ls="--", label=data["benchmark"])
    top.set_ylabel("cumulative return, %")
    top.legend(loc="upper left", frameon=False, ncol=4)
    index = data["index"]
    dates = _dates(index["dates"])
    bottom.bar(dates, index["attention"], color="#c9d6e3", width=1.0, label="attention (articles)")
    bottom.set_ylabel("relevant articles")
    twin = bottom.twinx()
    net = pd.Series(index["net"], index=dates, dtype=float).rolling(5, min_periods=1).mean()
    twin.plot(dates, net, color="#1f4e79", lw=1.3, label="net stance (5-session mean)")
    twin.axhline(0, color="#999", lw=0.6)
    twin.set_ylabel("net stance")
    twin.grid(False)
    for shift in data["shifts"]:
        for axis in (top, bottom):
            axis.axvline(pd.Timestamp(shift["session"]), color="#d98c1f", lw=0.9, ls=":")
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    fig.suptitle(f"Narrative '{data['narrative']}' vs returns ({data['lead_ticker']} sessions)", x=0.01, ha="left")
    return _png(fig)


def correlogram(item: dict) -> str:
    """Cross-correlation of the index with excess returns at lags -10..+10, with the ±1.96/√n band."""
    fig, axis = plt.subplots(figsize=(4.6, 2.8))
    rows = [r for r in item["ccf"] if r["corr"] is not None]
    lags = [r["lag"] for r in rows]
    corr = [r["corr"] for r in rows]
    band = [r["band"] for r in rows]
    colors = ["#c0504d" if abs(c) > b else "#1f4e79" for c, b in zip(corr, band)]
    axis.bar(lags, corr, color=colors, width=0.7)
    if rows:
        axis.plot(lags, band, color="#999", ls="--", lw=0.8)
        axis.plot(lags, [-b for b in band], color="#999", ls="--", lw=0.8)
    axis.axhline(0, color="#444", lw=0.6)
    axis.set_xlabel("lag k (sessions): corr(index_t, excess return_t+k); k > 0: narrative leads")
    axis.set_title(item["ticker"], loc="left")
    return _png(fig)


def event_cars(data: dict) -> str:
    """CAR per narrative shift, window and ticker, with ±1.96σ√days whiskers."""
    rows = [c for s in data["shifts"] for c in s["car"] if c["car"] is not None]
    fig, axis = plt.subplots(figsize=(9.5, 3.2))
    if not rows:
        axis.text(0.5, 0.5, "no CAR could be computed (no shifts, or not enough history)", ha="center",
                  transform=axis.transAxes)
        axis.set_axis_off()
        return _png(fig)
    tickers = list(dict.fromkeys(c["ticker"] for c in rows))
    labels, x = [], 0.0
    for shift in data["shifts"]:
        for window in ("(-1,+1)", "(+0,+5)", "(+0,+20)"):
            for j, ticker in enumerate(tickers):
                hit = next((c for c in shift["car"] if c["ticker"] == ticker and c["window"] == window), None)
                if hit and hit["car"] is not None:
                    err = abs(hit["car"] / hit["t"]) * 1.96 if hit["t"] else 0
                    axis.bar(x + j * 0.8 / len(tickers), hit["car"], width=0.8 / len(tickers),
                             color=PALETTE[j % len(PALETTE)], yerr=err, capsize=2,
                             label=ticker if not labels else None)
            labels.append((x + 0.3, f"{shift['session']}\n{window}"))
            x += 1.2
    axis.set_xticks([p for p, _ in labels], [t for _, t in labels], fontsize=7)
    axis.axhline(0, color="#444", lw=0.6)
    axis.set_ylabel("CAR, %")
    handles, names = axis.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    axis.legend(unique.values(), unique.keys(), frameon=False, ncol=len(tickers))
    return _png(fig)


def rolling(data: dict) -> str:
    """60-session rolling correlation of the index with each ticker's excess return."""
    fig, axis = plt.subplots(figsize=(9.5, 2.6))
    for i, item in enumerate(data["tickers_detail"]):
        series = item["rolling_corr"]
        axis.plot(_dates(series["dates"]), series["corr"], color=PALETTE[i % len(PALETTE)], lw=1.2,
                  label=item["ticker"])
    axis.axhline(0, color="#444", lw=0.6)
    axis.set_ylabel("rolling corr (60)")
    axis.legend(frameon=False, ncol=4)
    return _png(fig)
