"""The feeds file (``feeds.yaml``): its entries' model and loader, validated by pydantic.

Split from :mod:`narrative.config` so that reading settings (every command) does not import pydantic (issue 12);
``from narrative.config import FeedConfig, load_feeds`` still works.

>>> load_feeds("examples/demo/feeds.yaml")[0].name  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config import read_utf8
from .errors import ConfigError, Errors, yaml_error

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
