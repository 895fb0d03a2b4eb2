"""feeds.yaml validation and settings layering."""

from __future__ import annotations

import pytest

from narrative.config import Settings, load_feeds
from narrative.errors import ConfigError

GOOD = """\
feeds:
  - name: wire
    url: https://example.test/rss
    language: zh_CN
    tags: [markets]
  - name: local
    url: feeds/local.xml
"""


def test_load_feeds_resolves_local_paths_against_the_file(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(GOOD)
    wire, local = load_feeds(path)
    assert wire.language == "zh-cn" and wire.tags == ("markets",) and wire.full_text is False
    assert local.url == str(tmp_path / "feeds" / "local.xml")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("feeds:\n  - name: a\n", "[feeds[0] line 2 name='a'] missing required key 'url'"),
        ("feeds:\n  - name: a\n    url: ftp://x/y\n", "url: scheme 'ftp' is not supported"),
        ("feeds:\n  - name: a\n    url: http://x\n    colour: red\n", "unknown key 'colour'"),
        ("feeds:\n  - name: Bad Name\n    url: http://x\n", "name must be lowercase"),
        ("feeds:\n  - name: a\n    url: http://x\n    full_text: maybe\n", "full_text"),
        ("feeds:\n  - name: a\n    url: http://x\n  - name: a\n    url: http://y\n", "two feeds are named 'a'"),
        ("feeds:\n  - name: a\n    url: http://x\n   bad: [\n", "not valid YAML"),
        ("feeds: []\n", "no feeds listed"),
        ("feedz:\n  - name: a\n", "needs a 'feeds:' key"),
        ("feeds:\n  - name: a\n    url: http://x\n    language: english!\n", "not a language code"),
    ],
)
def test_load_feeds_rejects_bad_files_with_one_clear_line(tmp_path, text, expected):
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_feeds(path)
    message = str(info.value)
    assert expected in message and str(path) in message and "\n" not in message
    assert info.value.exit_code == 2


def test_load_feeds_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_feeds(tmp_path / "nope.yaml")


def test_settings_layers_defaults_env_then_arguments():
    settings = Settings.load({"NARRATIVE_DB": "env.db", "NARRATIVE_CONCURRENCY": "3"}, concurrency=None)
    assert settings.db == "env.db" and settings.concurrency == 3
    assert Settings.load({"NARRATIVE_DB": "env.db"}, db="flag.db").db == "flag.db"


def test_settings_reject_bad_values_and_unknown_names():
    with pytest.raises(ConfigError, match="NARRATIVE_CONCURRENCY='many'"):
        Settings.load({"NARRATIVE_CONCURRENCY": "many"})
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        Settings.load({}, colour="red")


def test_settings_booleans_parse_words():
    assert Settings.load({"NARRATIVE_SENTIMENT_QUANTIZE": "true"}).sentiment_quantize is True
    assert Settings.load({"NARRATIVE_SENTIMENT_QUANTIZE": "0"}).sentiment_quantize is False
    with pytest.raises(ConfigError, match="is not true/false"):
        Settings.load({"NARRATIVE_SENTIMENT_QUANTIZE": "maybe"})
