"""Feed fixtures in feedparser's style: one small file per oddity, expectations inside it.

Each file under ``tests/feeds/wellformed/`` and ``tests/feeds/illformed/`` starts
(after any BOM and XML declaration) with an XML comment holding lines such as::

    Description: what the file exercises (required)
    Expect: entries[0].title == "..."      (one or more; Python, with ``feed``,
                                            ``entries`` and ``FETCHED_AT`` in scope)
    Header: Content-Type: application/xml; charset=big5   (passed as content_type)
    Language: en                           (passed as parse_feed(language=...))
    Strip-Comment: yes                     (parse the body with this comment removed)
    Xfail: why the implementation is wrong (strict xfail for the whole file)

The comment is located in the bytes read as latin-1, so any encoding works; its
text is then read as UTF-8 where possible. Files whose bytes are not UTF-8 keep
the comment ASCII and write non-ASCII expectations with ``\\u`` escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone
from pathlib import Path

import pytest

from narrative.ingest.parse import parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "feeds"
FETCHED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FEED_URL = "http://127.0.0.1/feed.xml"
FILES = sorted([*FEEDS.glob("wellformed/*.xml"), *FEEDS.glob("illformed/*.xml")])

_COMMENT_RE = re.compile(r"<!--(.*?)-->", re.DOTALL)
_DIRECTIVE_RE = re.compile(r"^\s*(Description|Expect|Header|Language|Strip-Comment|Xfail):\s?(.*?)\s*$")


@dataclass
class Spec:
    path: Path
    body: bytes
    description: str = ""
    expects: list[str] = field(default_factory=list)
    content_type: str | None = None
    language: str | None = None
    xfail: str | None = None


def load_spec(path: Path) -> Spec:
    raw = path.read_bytes()
    spec = Spec(path=path, body=raw)
    match = _COMMENT_RE.search(raw.decode("latin-1"))
    if match is None:
        return spec
    comment_bytes = raw[match.start(1) : match.end(1)]  # latin-1 keeps byte offsets
    try:
        comment = comment_bytes.decode("utf-8")
    except UnicodeDecodeError:
        comment = comment_bytes.decode("latin-1")
    strip = False
    for line in comment.splitlines():
        directive = _DIRECTIVE_RE.match(line)
        if directive is None:
            continue
        key, value = directive.groups()
        if key == "Description":
            spec.description = value
        elif key == "Expect":
            spec.expects.append(value)
        elif key == "Header":
            name, _, header_value = value.partition(":")
            if name.strip().lower() == "content-type":
                spec.content_type = header_value.strip()
        elif key == "Language":
            spec.language = value or None
        elif key == "Strip-Comment":
            strip = value.lower() in ("yes", "true", "1")
        elif key == "Xfail":
            spec.xfail = value
    if strip:
        spec.body = (raw[: match.start()] + raw[match.end() :]).strip()
    return spec


def _param(path: Path):
    spec = load_spec(path)
    marks = [pytest.mark.xfail(strict=True, reason=spec.xfail)] if spec.xfail else []
    return pytest.param(spec, id=f"{path.parent.name}/{path.name}", marks=marks)


def _summary(feed) -> str:
    lines = [
        f"  feed: version={feed.version!r} encoding={feed.encoding!r} language={feed.language!r} "
        f"bozo={feed.bozo!r} bozo_reason={feed.bozo_reason!r} skipped={feed.skipped!r} "
        f"title={feed.title!r} link={feed.link!r}"
    ]
    for i, entry in enumerate(feed.entries):
        lines.append(f"  entries[{i}]: {entry!r}")
    return "\n".join(lines)


def test_fixtures_exist():
    assert len(FILES) >= 30, f"expected the fixture corpus under {FEEDS}, found {len(FILES)} files"


@pytest.mark.parametrize("spec", [_param(p) for p in FILES])
def test_fixture(spec: Spec):
    feed = parse_feed(
        spec.body, url=FEED_URL, content_type=spec.content_type, fetched_at=FETCHED_AT, language=spec.language
    )
    scope = {
        "feed": feed,
        "entries": feed.entries,
        "FETCHED_AT": FETCHED_AT,
        "datetime": datetime,
        "timezone": timezone,
    }
    failures = []
    for expr in spec.expects:
        try:
            ok = eval(expr, {"__builtins__": __builtins__}, dict(scope))  # noqa: S307 (test data we wrote)
        except Exception as exc:  # noqa: BLE001 (an IndexError etc. is a failed expectation, not a crash)
            failures.append(f"  Expect: {expr}\n    raised {type(exc).__name__}: {exc}")
            continue
        if not ok:
            failures.append(f"  Expect: {expr}\n    was false")
    assert not failures, (
        f"{spec.path.relative_to(FEEDS)} ({spec.description}): "
        f"{len(failures)} of {len(spec.expects)} expectations failed\n" + "\n".join(failures) + "\n" + _summary(feed)
    )


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_fixture_is_documented(path: Path):
    spec = load_spec(path)
    assert spec.description, f"{path.name}: no 'Description:' line in its leading comment"
    assert spec.expects, f"{path.name}: no 'Expect:' line in its leading comment"
