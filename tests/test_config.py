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


# Issue 11 item 8: settings are checked against their allowed ranges (pydantic); a bad one is one line naming the
# variable, the setting and the range, exit 2.
@pytest.mark.parametrize(
    "variable, value, problem, allowed",
    [
        ("NARRATIVE_FEED_DEADLINE", "-5", "is out of range", "a number > 0"),
        ("NARRATIVE_CONCURRENCY", "0", "is out of range", "1..64"),
        ("NARRATIVE_RETRIES", "-1", "is out of range", "0..10"),
        ("NARRATIVE_MAX_BYTES", "0", "is out of range", "a whole number >= 1024"),
        ("NARRATIVE_CONNECT_TIMEOUT", "0", "is out of range", "a number > 0"),
        ("NARRATIVE_BACKOFF", "nan", "is not a finite number", "0..60"),
        ("NARRATIVE_LOCK_TIMEOUT", "inf", "is not a finite number", "a number >= 0"),
        ("NARRATIVE_CONCURRENCY", "2.5", "is not a whole number", "1..64"),
        ("NARRATIVE_MAX_REDIRECTS", "100", "is out of range", "0..20"),
    ],
)
def test_issue_11_setting_out_of_range_is_one_line_naming_variable_and_range(variable, value, problem, allowed):
    with pytest.raises(ConfigError) as info:
        Settings.load({variable: value})
    name = variable.removeprefix("NARRATIVE_").lower()
    message = str(info.value)
    assert message.startswith(f"{variable}={value!r}: setting {name} {problem}; allowed: {allowed} (")
    assert f"Set {variable}" in message and "\n" not in message and info.value.exit_code == 2


def test_issue_11_setting_out_of_range_from_a_flag_or_in_code():
    with pytest.raises(
        ConfigError,
        match=r"^lock_timeout=-1: setting lock_timeout is out of range; allowed: a "
        r"number >= 0 .*Set NARRATIVE_LOCK_TIMEOUT",
    ):
        Settings.load({}, lock_timeout=-1)
    with pytest.raises(ConfigError, match=r"^concurrency=0: setting concurrency is out of range; allowed: 1\.\.64"):
        Settings(concurrency=0)
    with pytest.raises(ConfigError, match=r"setting db is empty; allowed: any non-empty text"):
        Settings.load({}, db="")


def test_issue_11_settings_in_range_and_paths_are_accepted(tmp_path):
    settings = Settings.load(
        {"NARRATIVE_MAX_BYTES": "1024", "NARRATIVE_RETRIES": "0", "NARRATIVE_BACKOFF": "0"},
        db=tmp_path / "x.db",
        lock_timeout=3,
    )
    assert (settings.max_bytes, settings.retries, settings.backoff) == (1024, 0, 0.0)
    assert settings.db == str(tmp_path / "x.db") and settings.lock_timeout == 3.0


def test_issue_11_every_setting_states_its_allowed_values():
    from narrative.config import SETTINGS

    for setting in SETTINGS:
        assert setting.allowed and setting.validate(setting.default, source="default") == setting.default


def test_issue_11_bad_setting_on_the_command_line_exits_2_with_one_line(tmp_path):
    from click.testing import CliRunner

    from narrative.cli import cli

    result = CliRunner().invoke(
        cli, ["ingest", "--db", str(tmp_path / "x.db")], catch_exceptions=False, env={"NARRATIVE_FEED_DEADLINE": "-5"}
    )
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: NARRATIVE_FEED_DEADLINE='-5': setting feed_deadline is out of range; allowed: a number > 0 (Total "
        "seconds one feed may take, retries and redirects included). Set NARRATIVE_FEED_DEADLINE (or the matching "
        "flag) to an allowed value."
    ]
    assert not (tmp_path / "x.db").exists()


def test_issue_11_settings_command_lists_the_allowed_values():
    from click.testing import CliRunner

    from narrative.cli import cli

    result = CliRunner().invoke(cli, ["settings"], catch_exceptions=False)
    row = next(line for line in result.stdout.splitlines() if "NARRATIVE_CONCURRENCY" in line)
    assert "1..64" in row and "concurrency" in row
