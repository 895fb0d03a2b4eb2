"""``narrative sentiment NAME`` and the sentiment column of ``narrative mentions`` (issue 10 item 4), on a real store
enriched by the real pipeline and the shipped entity sentiment model."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .helpers import one_error_line, run

ARCHIVE = (
    "url,title,published,text,source\n"
    "http://a.test/1,Alibaba shares surge,2025-01-02,Alibaba beat estimates and raised its outlook.,wire\n"
    "http://a.test/2,Tencent expands,2025-01-03,Tencent opened a data centre in Frankfurt.,wire\n"
    "http://a.test/3,Alibaba slumps,2025-01-03,Alibaba missed estimates and cut its forecast.,wire\n"
    "http://a.test/4,腾讯股价大涨,2025-01-04,腾讯股价大涨，业绩超预期。,wire\n"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sentiment")
    archive = folder / "archive.csv"
    archive.write_text(ARCHIVE, encoding="utf-8")
    path = folder / "store.db"
    result = run("import", archive, "--db", path, "--no-enrich")
    assert result.exit_code == 0, result.output
    result = run("enrich", "--db", path, "--no-score")
    assert result.exit_code == 0, result.output
    assert "entity sentiment for" in result.output
    return path


def test_issue_10_sentiment_daily_json(store):
    result = run("sentiment", "Alibaba", "--daily", "--db", store, "--format", "json")
    assert result.exit_code == 0, result.output
    days = {row["day"]: row for row in json.loads(result.output)}
    assert set(days) == {"2025-01-02", "2025-01-03"}
    assert days["2025-01-02"]["polarity"] > 0 > days["2025-01-03"]["polarity"]
    for row in days.values():
        assert row["mentions"] == row["positive"] + row["neutral"] + row["negative"] >= 1
        assert row["entity_id"] == "alibaba" and row["lexicon_mentions"] == 0


def test_issue_10_sentiment_window_csv_and_table(store):
    result = run("sentiment", "BABA", "--db", store, "--format", "csv", "--until", "2025-01-02")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 1 and rows[0]["until"] == "2025-01-02" and float(rows[0]["polarity"]) > 0
    table = run("sentiment", "Alibaba", "--daily", "--db", store)
    assert table.exit_code == 0 and "2025-01-03" in table.output and "polarity" in table.output


def test_issue_10_chinese_mentions_say_they_are_lexicon(store):
    result = run("sentiment", "Tencent", "--daily", "--db", store, "--format", "json")
    rows = {row["day"]: row for row in json.loads(result.output)}
    assert rows["2025-01-04"]["lexicon_mentions"] == rows["2025-01-04"]["mentions"] >= 1
    assert rows["2025-01-04"]["polarity"] > 0  # 大涨, 超预期


def test_issue_10_mentions_show_sentiment(store):
    result = run("mentions", "Alibaba", "--db", store, "--format", "json")
    rows = json.loads(result.output)
    assert rows and all(row["sentiment"] in ("negative", "neutral", "positive") for row in rows)
    assert {row["sentiment_method"] for row in rows} == {"model"}
    table = run("mentions", "Alibaba", "--db", store)
    assert table.exit_code == 0 and "sentiment" in table.output


def test_issue_10_unknown_name_is_one_line(store):
    result = run("sentiment", "Nonexistent Corp", "--db", store)
    assert result.exit_code == 2
    assert "unknown entity" in one_error_line(result)


def test_issue_10_analyze_gives_every_entity_its_sentiment():
    result = run("analyze", "--format", "jsonl", "Alibaba beat estimates while Tencent missed them.")
    assert result.exit_code == 0, result.output
    entities = json.loads(result.output)["entities"]
    toward = {e["name"]: e["entity_sentiment"] for e in entities}
    assert toward["Alibaba Group"]["label"] == "positive" and toward["Tencent"]["label"] == "negative"
    assert all(s["method"] == "model" and s["version"].startswith("esent-") for s in toward.values())
    table = run("analyze", "Alibaba beat estimates while Tencent missed them.")
    assert "sentiment=positive" in table.output and "sentiment=negative" in table.output
