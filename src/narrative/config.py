"""Settings and the feeds file.

Settings live in one table of name, default, help and allowed range (datasette's ``SETTINGS``).
Layers apply in order, later ones winning: defaults, ``NARRATIVE_*`` environment
variables, then explicit keyword arguments (the CLI's flags). Every value is checked
against its type and range by pydantic; a bad one is one line naming the setting, the
variable and the allowed range (issue 11).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from .errors import ConfigError, Errors, yaml_error

USER_AGENT = "narrative/0.1 (+https://github.com/narrative-news/narrative; feed reader)"


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its name (``NARRATIVE_<NAME>`` in the environment), default, help and allowed range.

    >>> Setting("retries", 2, "Extra attempts", ge=0, le=10).allowed
    '0..10'
    """

    name: str
    default: Any
    help: str
    ge: float | None = None  # allowed range: >= ge, > gt, <= le (None: unbounded)
    gt: float | None = None
    le: float | None = None
    non_empty: bool = False

    @property
    def env(self) -> str:
        return f"NARRATIVE_{self.name.upper()}"

    @property
    def allowed(self) -> str:
        kind = type(self.default)
        if kind is bool:
            return "true or false"
        if kind is str:
            return "any non-empty text" if self.non_empty else "any text"
        noun = "a whole number" if kind is int else "a number"
        low = f"{self.ge:g}" if self.ge is not None else None
        if low is not None and self.le is not None:
            return f"{low}..{self.le:g}"
        bounds = [
            f">= {low}" if low is not None else "",
            f"> {self.gt:g}" if self.gt is not None else "",
            f"<= {self.le:g}" if self.le is not None else "",
        ]
        return f"{noun} " + " and ".join(b for b in bounds if b) if any(bounds) else noun

    def validate(self, value: Any, *, source: str) -> Any:
        """``value`` as this setting's type, or :class:`ConfigError` naming ``source``, the variable and the range.

        >>> Setting("concurrency", 8, "Feeds fetched at once", ge=1, le=64).validate("4", source="x")
        4
        """
        if isinstance(self.default, str) and isinstance(value, os.PathLike):
            value = os.fspath(value)
        try:
            return _adapter(self).validate_python(value)
        except ValidationError as exc:
            problem = _PROBLEMS.get(exc.errors()[0]["type"], exc.errors()[0]["msg"].lower())
            raise ConfigError(
                Errors.E040.format(
                    source=source, name=self.name, problem=problem, allowed=self.allowed, help=self.help, env=self.env
                )
            ) from None


@functools.cache
def _adapter(setting: Setting) -> TypeAdapter:
    """The pydantic validator of one setting: its type (lax, so "8" from the environment is 8) and range."""
    kind = type(setting.default)
    bounds = {"ge": setting.ge, "gt": setting.gt, "le": setting.le}
    constraints: dict[str, Any] = {k: v for k, v in bounds.items() if v is not None}
    if kind is float:
        constraints["allow_inf_nan"] = False
    if kind is str and setting.non_empty:
        constraints["min_length"] = 1
    # a type built at run time from the setting's default: pydantic takes it, a static checker cannot read it
    annotated: Any = Annotated[kind, Field(**constraints)]
    return TypeAdapter(annotated)


_PROBLEMS = {
    "greater_than": "is out of range",
    "greater_than_equal": "is out of range",
    "less_than": "is out of range",
    "less_than_equal": "is out of range",
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "int_type": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "finite_number": "is not a finite number",
    "bool_parsing": "is not true/false",
    "bool_type": "is not true/false",
    "string_too_short": "is empty",
    "string_type": "is not text",
}


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "narrative.db", "SQLite database path (env NARRATIVE_DB)", non_empty=True),
    Setting("feeds", "feeds.yaml", "Feeds file (env NARRATIVE_FEEDS)", non_empty=True),
    Setting("concurrency", 8, "Feeds fetched at once", ge=1, le=64),
    Setting("connect_timeout", 10.0, "Seconds to wait for a TCP/TLS connection", gt=0),
    Setting("read_timeout", 20.0, "Seconds to wait between bytes of a response", gt=0),
    Setting("feed_deadline", 60.0, "Total seconds one feed may take, retries and redirects included", gt=0),
    Setting("max_bytes", 10_000_000, "Largest feed body accepted, after decompression", ge=1024),
    Setting("page_max_bytes", 5_000_000, "Largest article page accepted for full-text extraction", ge=1024),
    Setting("max_redirects", 5, "Redirects followed before giving up", ge=0, le=20),
    Setting("retries", 2, "Extra attempts after a 5xx, 429 or timeout", ge=0, le=10),
    Setting("backoff", 0.5, "First retry delay in seconds; doubles each attempt", ge=0, le=60),
    Setting("user_agent", USER_AGENT, "User-Agent header sent with every request", non_empty=True),
    Setting("dedup_window_hours", 72.0, "Stories with the same title/content this close in time are one article", ge=0),
    Setting("lock_timeout", 300.0, "Seconds a second writer waits for the database lock", ge=0),
    Setting(
        "sentiment_model", "", "Sentiment model: a local directory or a hub id (default: the shipped models/sentiment)"
    ),
    Setting("sentiment_quantize", False, "Dynamic int8 for the sentiment model: 2.3x faster, -1.2 pt on PhraseBank"),
    Setting(
        "narrative",
        "",
        "Narrative scored by enrich and ingest (default: the file in models/narratives/ that says `default: true`)",
    ),
    # Issue 11 (ingest hardening)
    Setting(
        "allow_private_addresses",
        False,
        "Full-text page fetches may reach loopback, private, link-local and "
        "metadata addresses (feeds listed in feeds.yaml always may)",
    ),
    Setting(
        "conditional_get",
        True,
        "Send the stored ETag/Last-Modified; off for servers that answer 304 to changed content",
    ),
    Setting(
        "unconditional_refetch_hours",
        24.0,
        "Fetch a feed without ETag/Last-Modified when its last full "
        "response is this old, the body hash deciding what changed (0: never)",
        ge=0,
    ),
    # Issue 9 (narrative scoring speed)
    Setting(
        "encoder_threads",
        1,
        "Threads of the sentence encoder (ONNX); one is fastest on a busy two-core machine",
        ge=1,
        le=64,
    ),
    # Issue 12 (compute only where it informs a result; GPU)
    Setting(
        "device",
        "auto",
        "Where the sentiment model runs: auto (CUDA when torch sees a GPU, else CPU), cpu, cuda or cuda:N",
        non_empty=True,
    ),
    Setting(
        "sentiment_sentences",
        "relevant",
        "Sentences the sentiment model scores: relevant (relevance >= 0.1 to the narrative being scored) or all",
        non_empty=True,
    ),
)

_DEFAULTS = {s.name: s.default for s in SETTINGS}
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclasses.dataclass(frozen=True)
class Settings:
    db: str = _DEFAULTS["db"]
    feeds: str = _DEFAULTS["feeds"]
    concurrency: int = _DEFAULTS["concurrency"]
    connect_timeout: float = _DEFAULTS["connect_timeout"]
    read_timeout: float = _DEFAULTS["read_timeout"]
    feed_deadline: float = _DEFAULTS["feed_deadline"]
    max_bytes: int = _DEFAULTS["max_bytes"]
    page_max_bytes: int = _DEFAULTS["page_max_bytes"]
    max_redirects: int = _DEFAULTS["max_redirects"]
    retries: int = _DEFAULTS["retries"]
    backoff: float = _DEFAULTS["backoff"]
    user_agent: str = _DEFAULTS["user_agent"]
    dedup_window_hours: float = _DEFAULTS["dedup_window_hours"]
    lock_timeout: float = _DEFAULTS["lock_timeout"]
    sentiment_model: str = _DEFAULTS["sentiment_model"]
    sentiment_quantize: bool = _DEFAULTS["sentiment_quantize"]
    narrative: str = _DEFAULTS["narrative"]
    allow_private_addresses: bool = _DEFAULTS["allow_private_addresses"]
    conditional_get: bool = _DEFAULTS["conditional_get"]
    unconditional_refetch_hours: float = _DEFAULTS["unconditional_refetch_hours"]
    encoder_threads: int = _DEFAULTS["encoder_threads"]
    device: str = _DEFAULTS["device"]
    sentiment_sentences: str = _DEFAULTS["sentiment_sentences"]

    def __post_init__(self) -> None:
        # Settings built directly (not through load) are held to the same ranges; load has already checked.
        # A default is valid by construction (tests/test_config.py checks every one), and skipping it keeps the
        # per-setting validators from being built at every start-up (issue 12).
        for field in dataclasses.fields(self):
            setting = _BY_NAME.get(field.name)
            value = getattr(self, field.name)
            if setting is not None and not (type(value) is type(setting.default) and value == setting.default):
                checked = setting.validate(value, source=f"{field.name}={value!r}")
                if checked is not value:
                    object.__setattr__(self, field.name, checked)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``NARRATIVE_<NAME>`` variables, then non-None ``overrides``, each checked against its
        type and allowed range (:class:`ConfigError`, exit 2, naming the variable and the range).

        >>> Settings.load({"NARRATIVE_CONCURRENCY": "2"}).concurrency
        2
        >>> Settings.load({"NARRATIVE_RETRIES": "-1"})  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        narrative.errors.ConfigError: NARRATIVE_RETRIES='-1': setting retries is out of range; allowed: 0..10 ...
        """
        env: Mapping[str, str] = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is not None and raw != "":
                values[setting.name] = setting.validate(raw.strip(), source=f"{setting.env}={raw!r}")
        for name, value in overrides.items():
            if name not in _DEFAULTS:
                valid = ", ".join(sorted(_DEFAULTS))
                raise ConfigError(Errors.E041.format(name=name, valid=valid))
            if value is not None:
                values[name] = _BY_NAME[name].validate(value, source=f"{name}={value!r}")
        return dataclasses.replace(cls(), **values)


_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class FeedConfig(BaseModel):
    """One entry of ``feeds.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # schema built on first use: start-up

    name: str
    url: str
    language: str | None = None
    tags: tuple[str, ...] = Field(default_factory=tuple)
    full_text: bool = False
    timezone: str | None = None  # IANA zone of the source's dates (issue 8: date-only items end there)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError(Errors.E042)
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(Errors.E043)
        scheme = urlparse(value).scheme.lower()
        if scheme in ("http", "https"):
            if not urlparse(value).netloc:
                raise ValueError(Errors.E044.format(value=value))
        elif scheme not in ("", "file") and len(scheme) > 1:  # len 1: a Windows drive letter
            raise ValueError(Errors.E045.format(scheme=scheme))
        return value

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", value):
            raise ValueError(Errors.E046.format(value=value))
        return value.lower().replace("_", "-")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from .clock import time_zone

        return time_zone(value).key

    @property
    def is_remote(self) -> bool:
        return urlparse(self.url).scheme.lower() in ("http", "https")


class _FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    feeds: list[dict[str, Any]]


def load_feeds(path: str | os.PathLike[str]) -> list[FeedConfig]:
    """Read and validate a feeds file. Relative local paths resolve against its folder.

    Raises :class:`ConfigError` with one line naming the file, the entry and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(Errors.E001.format(path=path))
    text = read_utf8(path)
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(path, exc) from None
    if data is None:  # an empty file, or only comments
        raise ConfigError(Errors.E005.format(path=path))
    if isinstance(data, list):  # a bare list of feeds is accepted too
        data, entries_node = {"feeds": data}, node
    else:
        entries_node = _mapping_value(node, "feeds")
    try:
        feeds_file = _FeedsFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "top level"
        raise ConfigError(
            Errors.E003.format(
                path=path,
                location=where,
                problem=error["msg"],
                hint="The file needs a 'feeds:' key holding a list of feeds.",
            )
        ) from None
    if not feeds_file.feeds:
        raise ConfigError(Errors.E005.format(path=path))
    lines = _entry_lines(entries_node)
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(feeds_file.feeds):
        line = lines[index] if index < len(lines) else None
        label = f"feeds[{index}]" + (f" line {line}" if line else "")
        if isinstance(entry, dict) and entry.get("name"):
            label += f" name={entry['name']!r}"
        try:
            feed = FeedConfig.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or "entry"
            msg = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = f"unknown key {field!r}"
            elif error["type"] == "missing":
                msg = f"missing required key {field!r}"
            else:
                msg = f"{field}: {msg}"
            raise ConfigError(
                Errors.E003.format(
                    path=path,
                    location=label,
                    problem=msg,
                    hint="Each feed takes name, url, and optionally language, tags, full_text, timezone.",
                )
            ) from None
        if feed.name in seen:
            raise ConfigError(Errors.E004.format(path=path, name=feed.name, first=seen[feed.name], second=index))
        seen[feed.name] = index
        feeds.append(feed.model_copy(update={"url": _resolve_url(feed.url, path.parent)}))
    return feeds


def read_utf8(path: Path) -> str:
    """The text of a UTF-8 file (a BOM is dropped); anything else is :class:`ConfigError` naming the first bad byte
    and its line, and the fix.

    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "feeds.yaml"
    >>> _ = bad.write_bytes(b"feeds:\\n  - name: caf\\xe9\\n")
    >>> read_utf8(bad)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    narrative.errors.ConfigError: .../feeds.yaml: not UTF-8 text (byte 0xe9 on line 2) ...
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(Errors.E007.format(path=path, problem=exc.strerror or exc)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = f"byte 0x{raw[exc.start]:02x} on line {line}"
        raise ConfigError(Errors.E006.format(path=path, problem=problem)) from None


def _resolve_url(url: str, base: Path) -> str:
    parsed = urlparse(url)
    if parsed.scheme.lower() in ("http", "https", "file"):
        return url
    local = Path(url).expanduser()
    return str(local if local.is_absolute() else (base / local).resolve())


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node
    return None


def _entry_lines(node: yaml.Node | None) -> list[int]:
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []
