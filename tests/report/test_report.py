"""The report renders on a small synthetic store: HTML with embedded images only, JSON that validates,
and every number in the HTML tables present in the JSON."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from narrative.api import market
from narrative.report.build import ReportData
from narrative.store import open_db


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "r.db"
    db = open_db(path)
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2023-06-01", "2024-12-31")
    now = datetime.now(timezone.utc).isoformat()
    for ticker, exchange, drift in (("BABA", "NYSE", 0.0008), ("QQQ", "NASDAQ", 0.0005), ("9988.HK", "HKEX", 0.0006)):
        closes = 100 * np.exp(np.cumsum(rng.normal(drift, 0.015, len(days))))
        db["prices"].insert_all([{"ticker": ticker, "date": str(d.date()), "close": c, "adj_close": c,
                                  "currency": "USD", "exchange": exchange, "source": "test", "imported_at": now}
                                 for d, c in zip(days, closes)])
    articles, scores, sentences = [], [], []
    start = datetime(2024, 1, 2, 14, tzinfo=timezone.utc)
    for i in range(120):
        published = (start + timedelta(hours=61 * i)).isoformat()
        articles.append({"id": i + 1, "title": f"Story {i}", "published": published, "published_source": "published",
                         "title_hash": f"t{i}", "content_hash": f"c{i}", "first_seen_at": now, "updated_at": now,
                         "ingest_version": "test"})
        stance = 0.6 if i > 60 else -0.4
        scores.append({"article_id": i + 1, "narrative": "china-ai", "relevance": 0.8, "stance": stance + 0.1 * (i % 3),
                       "tone": 0.0, "relevant_sentences": 1, "model_version": "test", "scored_at": now,
                       "evidence": json.dumps([{"sentence_idx": 0, "stance": stance, "relevance": 0.8}])})
        sentences.append({"article_id": i + 1, "idx": 0, "start": 0, "end": 10, "text": f"Sentence {i} on Chinese AI.",
                          "extractor_version": "test"})
    db["articles"].insert_all(articles)
    db["article_scores"].insert_all(scores)
    db["sentences"].insert_all(sentences)
    db.close()
    return path


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.images, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("td", "th"):
            self._in, self._text = True, ""
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if tag != "img" and attrs.get(key, "").startswith("http"):
                self.images.append(attrs[key])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._in:
            self.cells.append(self._text)
            self._in = False

    def handle_data(self, data):
        if self._in:
            self._text += data


def _numbers(value, out, strings=None):
    if isinstance(value, bool):
        return
    if isinstance(value, str) and strings is not None:
        strings.add(value.strip())
    elif isinstance(value, (int, float)):
        out.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            _numbers(v, out, strings)
    elif isinstance(value, list):
        for v in value:
            _numbers(v, out, strings)


def test_report_renders_self_contained_and_consistent(store, tmp_path):
    html_path = market.report("china-ai", ["BABA", "9988.HK"], "QQQ", "2024-01-01", "2024-12-31", tmp_path / "out",
                              db_path=str(store))
    html = html_path.read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    ReportData.model_validate(data)
    parser = _Cells()
    parser.feed(html)
    assert len(parser.images) >= 4
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert "http://" not in html and "https://" not in html
    assert data["summary"]["articles_relevant"] == 120 and data["summary"]["tests"] > 0
    assert data["shifts"], "the stance flips from negative to positive mid-year"
    assert {c["window"] for c in data["shifts"][0]["car"]} == {"(-1,+1)", "(+0,+5)", "(+0,+20)"}
    for caveat in ("Sample size", "Multiple tests", "not causation", "Alignment"):
        assert any(caveat in c for c in data["caveats"])
    known: list[float] = []
    strings: set[str] = set()
    _numbers(data, known, strings)
    checked = 0
    for cell in parser.cells:
        if cell.strip() in strings:
            continue  # a label copied from the JSON as text, e.g. the window "(+0,+20)"

        for token in re.findall(r"[-+]?\d+(?:\.\d+)?", cell.replace("−", "-")):
            if re.fullmatch(r"\d{4}", token) or "-" in cell and re.search(r"\d{4}-\d{2}-\d{2}", cell):
                continue  # years and dates
            digits = len(token.split(".")[1]) if "." in token else 0
            value = float(token)
            assert any(round(k, digits) == value or round(k * 1, digits) == round(value, digits) for k in known), \
                f"{token!r} in cell {cell!r} is not in report.json"
            checked += 1
    assert checked > 50
