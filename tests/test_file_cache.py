"""narrative.file_cache.cached_by_files (issue 12): one cache file per key, so a lookup parses only its own entry; kept
while the files it was built from are unchanged; at most _CACHE_ENTRIES keys of a name kept."""

from __future__ import annotations

import os

from narrative.file_cache import _CACHE_ENTRIES, cached_by_files


def _builder(source, calls):
    def build():
        calls.append(source.read_text(encoding="utf-8"))
        return {"text": source.read_text(encoding="utf-8")}, [source]

    return build


def test_issue_12_each_key_has_its_own_file_and_follows_its_files(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATIVE_HOME", str(tmp_path / "home"))
    cache = tmp_path / "home" / "cache"
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("one", encoding="utf-8")
    second.write_text("two", encoding="utf-8")
    calls: list[str] = []
    assert cached_by_files("names", ["a"], _builder(first, calls)) == {"text": "one"}
    assert cached_by_files("names", ["b"], _builder(second, calls)) == {"text": "two"}
    assert cached_by_files("names", ["a"], _builder(first, calls)) == {"text": "one"}  # from its file
    assert calls == ["one", "two"]
    assert len(list(cache.glob("names-*.json"))) == 2
    first.write_text("changed", encoding="utf-8")
    os.utime(first, ns=(1, 1))  # a stamp surely different from the one kept
    assert cached_by_files("names", ["a"], _builder(first, calls)) == {"text": "changed"}
    assert cached_by_files("names", ["b"], _builder(second, calls)) == {"text": "two"}
    assert calls == ["one", "two", "changed"]


def test_issue_12_a_damaged_cache_file_is_rebuilt_and_old_ones_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATIVE_HOME", str(tmp_path / "home"))
    cache = tmp_path / "home" / "cache"
    cache.mkdir(parents=True)
    (cache / "names.json").write_text("{}", encoding="utf-8")  # the one-file cache of before: removed
    source = tmp_path / "a.txt"
    source.write_text("one", encoding="utf-8")
    calls: list[str] = []
    cached_by_files("names", ["k"], _builder(source, calls))
    (written,) = cache.glob("names-*.json")
    written.write_text('{"key": ', encoding="utf-8")
    assert cached_by_files("names", ["k"], _builder(source, calls)) == {"text": "one"}
    assert calls == ["one", "one"]
    for n in range(_CACHE_ENTRIES + 3):
        cached_by_files("names", ["key", n], _builder(source, calls))
    assert len(list(cache.glob("names-*.json"))) == _CACHE_ENTRIES
    assert not (cache / "names.json").exists()
    assert cached_by_files("other", "k", lambda: (7, None)) == 7  # None: not kept
    assert not list(cache.glob("other*"))


def test_issue_12_a_process_parses_a_cache_file_once_until_it_is_rewritten(tmp_path, monkeypatch):
    """A long-lived caller (a notebook calling the API) parses the cache file once; a file another process rewrote
    since (a new stamp) is read again."""
    import json

    from narrative import file_cache

    monkeypatch.setenv("NARRATIVE_HOME", str(tmp_path / "home"))
    source = tmp_path / "a.txt"
    source.write_text("one", encoding="utf-8")
    calls: list[str] = []
    parsed: list[str] = []

    class CountingJson:
        dumps, dump = staticmethod(json.dumps), staticmethod(json.dump)

        @staticmethod
        def loads(text):
            parsed.append(text)
            return json.loads(text)

    monkeypatch.setattr(file_cache, "json", CountingJson)
    for _ in range(3):
        assert cached_by_files("names", ["p"], _builder(source, calls)) == {"text": "one"}
    assert calls == ["one"] and len(parsed) <= 1  # built once, its file parsed at most once
    (written,) = (tmp_path / "home" / "cache").glob("names-*.json")
    entry = json.loads(written.read_text(encoding="utf-8"))
    entry["value"] = {"text": "from another process"}
    replacement = written.with_suffix(".tmp")
    replacement.write_text(json.dumps(entry), encoding="utf-8")
    os.replace(replacement, written)  # as cached_by_files writes: a new file, so a new stamp
    assert cached_by_files("names", ["p"], _builder(source, calls)) == {"text": "from another process"}
    assert calls == ["one"]
