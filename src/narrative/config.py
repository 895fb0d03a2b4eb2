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
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from .errors import ConfigError, Errors

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from .feeds_file import FeedConfig as FeedConfig  # importable from here: see __getattr__ at the end
    from .feeds_file import load_feeds as load_feeds

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
        if self._plainly_valid(value):  # issue 12: no validator built (pydantic) for a value it would pass unchanged
            return value
        from pydantic import ValidationError

        try:
            return _adapter(self).validate_python(value)
        except ValidationError as exc:
            problem = _PROBLEMS.get(exc.errors()[0]["type"], exc.errors()[0]["msg"].lower())
            raise ConfigError(
                Errors.E040.format(
                    source=source, name=self.name, problem=problem, allowed=self.allowed, help=self.help, env=self.env
                )
            ) from None

    def _plainly_valid(self, value: Any) -> bool:
        """Whether ``value`` is already of this setting's exact type and inside its range: pydantic (lax) would
        return it unchanged, so it is not asked. Anything else (text from the environment for a number, an
        out-of-range value) goes through pydantic, which converts it or words the error.

        >>> Setting("retries", 2, "Extra attempts", ge=0, le=10)._plainly_valid(11)
        False
        """
        kind = type(self.default)
        if type(value) is not kind:
            return False
        if kind is str:
            return bool(value) or not self.non_empty
        if kind is bool:
            return True
        if kind is float and not math.isfinite(value):
            return False
        return (
            (self.ge is None or value >= self.ge)
            and (self.gt is None or value > self.gt)
            and (self.le is None or value <= self.le)
        )


@functools.cache
def _adapter(setting: Setting) -> TypeAdapter:
    """The pydantic validator of one setting: its type (lax, so "8" from the environment is 8) and range."""
    from pydantic import Field, TypeAdapter

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
    Setting("db", "narrative.db", "SQLite database path or postgresql:// URL (env NARRATIVE_DB)", non_empty=True),
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
    # Issue 9/12 (prepared narratives kept on disk: start-up cost)
    Setting(
        "narrative_cache",
        "",
        "Folder of prepared narratives (fitted stance heads), reused while the narrative file, models and "
        "libraries are unchanged (default: <NARRATIVE_HOME>/cache/narratives; off: none)",
    ),
    # Issue 12 (use both cores: extraction and scoring on worker processes, api/parallel.py)
    Setting(
        "workers",
        0,
        "Processes that extract and score articles during ingest, import and enrich (0: one per usable core, "
        "at most 4, and one for small batches; 1: all in the command's own process)",
        ge=0,
        le=64,
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
    narrative_cache: str = _DEFAULTS["narrative_cache"]
    workers: int = _DEFAULTS["workers"]

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


# The feeds file's models (pydantic) and loader live in narrative.feeds_file; they load on first use, so that reading
# settings (every command) does not import pydantic (issue 12: start-up). Importable from here as before.
_FEEDS_FILE_NAMES = frozenset({"FeedConfig", "load_feeds"})


def __getattr__(name: str) -> Any:
    if name in _FEEDS_FILE_NAMES:
        from . import feeds_file

        return getattr(feeds_file, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
