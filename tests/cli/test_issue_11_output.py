"""Issue 11 item 5: output never interprets feed text.

A stored sentence with ``[/]`` made ``narrative mentions Alibaba`` exit 1 with rich's MarkupError for as long as
the article existed; ``[link=file:///etc/passwd]`` became a live terminal hyperlink; an ESC in a title could
drive the terminal. Every table cell goes through one helper (``narrative.cli.as_text``) and is shown as written.
"""

from __future__ import annotations

import json
import sqlite3

from narrative.api.query import resolve_entity
from narrative.cli import as_text, plain

from .helpers import make_store, run

HOSTILE = "Alibaba [/] up [link=file:///etc/passwd]here[/link] [bold red]x :smile: \x1b[31mred"


def store_with_sentence(path, text: str):
    """A real store whose first article has one sentence mentioning Alibaba (the rows enrich would write)."""
    db = make_store(path)
    entity_id, _ = resolve_entity("Alibaba")
    conn = sqlite3.connect(db)
    conn.execute(
        'INSERT INTO sentences (article_id, idx, start, "end", text, extractor_version) '
        "VALUES (1, 0, 0, ?, ?, 'test')",
        [len(text), text],
    )
    conn.execute(
        'INSERT INTO mentions (article_id, sentence_idx, entity_id, name, label, surface, start, "end", '
        "method, extractor_version) VALUES (1, 0, ?, 'Alibaba Group', 'ORG', 'Alibaba', 0, 7, 'catalog', "
        "'test')",
        [entity_id],
    )
    conn.commit()
    conn.close()
    return db


def test_issue_11_mentions_with_a_closing_tag_in_a_sentence_does_not_crash(tmp_path):
    db = store_with_sentence(tmp_path / "n.db", "Alibaba [/] rose")
    result = run("mentions", "Alibaba", "--db", db)
    assert result.exit_code == 0, result.output
    assert "Alibaba [/] rose" in result.stdout


def test_issue_11_mentions_shows_link_markup_literally_and_no_hyperlink(tmp_path):
    db = store_with_sentence(tmp_path / "n.db", HOSTILE)
    # FORCE_COLOR makes rich write to the CliRunner as to a terminal: styles and hyperlinks would be emitted.
    result = run("mentions", "Alibaba", "--db", db, env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    # (the table may wrap the sentence between words: each piece is checked on its own)
    assert "[link=file:///etc/passwd]here[/link]" in out and "[bold red]x" in out and ":smile:" in out
    assert "\x1b]8;" not in out  # no OSC 8 hyperlink
    assert "\\x1b[31mred" in out and "\x1b[31mred" not in out  # the stored ESC is shown, not obeyed


def test_issue_11_mentions_json_keeps_the_sentence_exactly(tmp_path):
    db = store_with_sentence(tmp_path / "n.db", HOSTILE)
    result = run("mentions", "Alibaba", "--db", db, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["sentence"] == HOSTILE  # data formats carry the text unchanged


def test_issue_11_stats_shows_a_hostile_source_name_literally(tmp_path):
    archive = tmp_path / "archive.csv"
    archive.write_text(
        'url,title,published,text,source\nhttp://a.test/1,T,2025-01-02,Body,"[/]wire[link=file:///etc/passwd]"\n',
        encoding="utf-8",
    )
    db = tmp_path / "n.db"
    assert run("import", archive, "--db", db, "--no-enrich").exit_code == 0
    result = run("stats", "--db", db)
    assert result.exit_code == 0, result.output
    assert "[/]wire[link=file:///etc/passwd]" in result.stdout


def test_issue_11_as_text_is_never_markup():
    text = as_text("[/] [link=https://x.test]a[/link] \x1b]8;;file:///etc/passwd\x07")
    assert text.plain == "[/] [link=https://x.test]a[/link] \\x1b]8;;file:///etc/passwd\\x07"
    assert not text.spans  # no style, no link
    assert plain("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
