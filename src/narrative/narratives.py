"""Narratives (``models/narratives/*.yaml``, one per file): the themes, poles, scope and examples a narrative is
scored by, loaded like the catalog (:mod:`narrative.catalog`) into pydantic models that forbid unknown keys.

Everything here is also importable from :mod:`narrative.catalog`, its home before the split.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .catalog import MIN_EXAMPLES, Catalog, EntityType, _load_yaml_model
from .errors import ConfigError, Errors


class ThemePatterns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    en: tuple[str, ...] = ()  # lemma patterns: "computing|compute power bottleneck", "bottleneck in * computing power"
    zh: tuple[str, ...] = ()  # literal Chinese strings


class Theme(BaseModel):
    """A sub-theme: a label and its cue phrases. A theme never sets stance (issue 9)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    description: str | None = None
    patterns: ThemePatterns


class Poles(BaseModel):
    """What stance +1 and -1 mean for this narrative, in words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive: str = Field(min_length=3)
    negative: str = Field(min_length=3)


class Scope(BaseModel):
    """The actors that count: catalog entity types, and catalog ids central to the narrative."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity_types: tuple[EntityType, ...] = ()
    entities: tuple[str, ...] = ()


class Examples(BaseModel):
    """Labelled example sentences (EN and ZH mixed): the narrative's training signal at load time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive: tuple[str, ...] = Field(min_length=MIN_EXAMPLES)
    negative: tuple[str, ...] = Field(min_length=MIN_EXAMPLES)
    irrelevant: tuple[str, ...] = Field(min_length=MIN_EXAMPLES)
    # Optional: on the narrative's topic but leaning to neither pole (counts as relevant; stance 0).
    neutral: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> Examples:
        seen: dict[str, str] = {}
        for label in ("positive", "negative", "neutral", "irrelevant"):
            for text in getattr(self, label):
                key = " ".join(text.split()).casefold()
                if not key:
                    raise ValueError(f"an empty {label} example; delete it")
                if key in seen:
                    raise ValueError(
                        f"example {text!r} is listed under both {seen[key]} and {label}"
                        if seen[key] != label
                        else f"example {text!r} is listed twice under {label}"
                    )
                seen[key] = label
        return self


class Narrative(BaseModel):
    """One narrative, one file: ``models/narratives/<id with _>.yaml`` (schema v2, see INTERFACES).

    Its :attr:`version` is the first 12 hex of the sha256 of the file's bytes, set by
    :func:`load_narrative`; every score built from it carries that version.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    description: str = Field(min_length=10)
    poles: Poles
    scope: Scope = Scope()
    themes: tuple[Theme, ...] = ()
    examples: Examples
    default: bool = False  # the narrative scored when none is named (at most one file sets it)
    _version: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not value.replace("-", "").isalnum() or value.lower() != value:
            raise ValueError(f"id {value!r} must be a slug: lowercase letters, digits and '-'")
        return value

    @model_validator(mode="after")
    def _unique_themes(self) -> Narrative:
        seen: set[str] = set()
        for theme in self.themes:
            if theme.id in seen:
                raise ValueError(f"duplicate theme id {theme.id!r}")
            seen.add(theme.id)
        return self

    @property
    def version(self) -> str:
        """sha256 of the file content, 12 hex (``""`` for a narrative built in memory)."""
        return self._version

    @property
    def path(self) -> str:
        return self._path


def content_version(data: bytes) -> str:
    r"""The version of a narrative file: the first 12 hex of the sha256 of its bytes.

    >>> content_version(b"id: x\n")
    '52b881e6cd7c'
    """
    return hashlib.sha256(data).hexdigest()[:12]


@lru_cache(maxsize=32)
def _load_narrative_cached(path: str, mtime: float, size: int) -> Narrative:
    narrative: Narrative = _load_yaml_model(Path(path), Narrative)  # type: ignore[assignment]
    narrative._version = content_version(Path(path).read_bytes())  # noqa: SLF001 (set once, by the loader)
    narrative._path = path  # noqa: SLF001 (set once, by the loader)
    return narrative


def load_narrative(path: str | os.PathLike[str]) -> Narrative:
    """Load and validate one narrative file; its version is the hash of the file's content."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(Errors.E053.format(path=path))
    stat = path.stat()
    narrative = _load_narrative_cached(str(path), stat.st_mtime_ns, stat.st_size)
    if narrative.id.replace("-", "_") != path.stem.replace("-", "_"):
        raise ConfigError(Errors.E054.format(path=path, id=narrative.id, stem=narrative.id.replace("-", "_")))
    return narrative


def load_narratives(folder: str | os.PathLike[str] | None = None) -> list[Narrative]:
    """Every ``*.yaml`` narrative in ``folder``, sorted by file name; by default in every narrative folder:
    the shipped ``models/narratives``, then ``$NARRATIVE_HOME/narratives`` and plugins' folders
    (:func:`narrative.plugins.narrative_dirs`).

    The file name must be the narrative's id with ``-`` or ``_``: ``my_theme.yaml`` holds ``my-theme``. Two files
    defining one id are a ConfigError naming both.

    >>> [n.id for n in load_narratives()][:2]
    ['ai-capex', 'china-ai']
    """
    if folder:
        folders = [Path(folder)]
    else:
        from .plugins import narrative_dirs  # imported on use: plugins reads models_dir() from here

        folders = narrative_dirs()
    narratives = [load_narrative(path) for place in folders for path in sorted(place.glob("*.yaml"))]
    first: dict[str, Narrative] = {}
    for narrative in narratives:
        other = first.setdefault(narrative.id.replace("_", "-"), narrative)
        if other is not narrative:
            raise ConfigError(Errors.E055.format(path=narrative.path, id=narrative.id, other=other.path))
    return narratives


def check_scope(narrative: Narrative, catalog: Catalog) -> None:
    """Raise a ConfigError naming every ``scope.entities`` id that is not in the catalog."""
    known = catalog.by_id()
    unknown = [e for e in narrative.scope.entities if e not in known]
    if unknown:
        where = narrative.path or narrative.id
        raise ConfigError(Errors.E056.format(path=where, unknown=", ".join(map(repr, unknown))))


def resolve_narrative_id(
    name: str | None = None, *, configured: str = "", folder: str | os.PathLike[str] | None = None
) -> str:
    """The narrative to use: ``name`` if given, else the configured one (the ``narrative`` setting), else the file in
    ``folder`` (default ``models/narratives``) that says ``default: true`` — or the only narrative, if there is one.

    >>> resolve_narrative_id("ai-capex")
    'ai-capex'
    """
    if name or configured:
        return name or configured
    narratives = load_narratives(folder)
    marked = [n.id for n in narratives if n.default] or ([n.id for n in narratives] if len(narratives) == 1 else [])
    if len(marked) != 1:
        names = ", ".join(n.id for n in narratives) or "none"
        raise ConfigError(Errors.E057.format(count=len(marked), names=names))
    return marked[0]


def find_narrative(narratives: list[Narrative], narrative_id: str) -> Narrative:
    """The narrative called ``narrative_id`` (dashes or underscores), or a ConfigError listing them."""
    wanted = narrative_id.replace("_", "-")
    for narrative in narratives:
        if narrative.id.replace("_", "-") == wanted:
            return narrative
    names = ", ".join(n.id for n in narratives) or "none"
    raise ConfigError(Errors.E058.format(id=narrative_id, names=names))
