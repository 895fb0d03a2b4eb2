"""The entity catalog (``models/entities.yaml``) and narratives (``models/narratives/*.yaml``).

Both are data, versioned, loaded with ``yaml.safe_load`` into pydantic models that forbid
unknown keys. Errors read ``file: [key -> path] message``.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import ConfigError, Errors, yaml_error

EntityType = Literal[
    "company",
    "bank",
    "asset_manager",
    "exchange",
    "index",
    "etf",
    "ai_model",
    "chip",
    "product",
    "regulator",
    "government",
    "organisation",
    "person",
    "place",
]


# libyaml's safe loader when PyYAML has it (several times faster on the catalog), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MIN_EXAMPLES = 3  # per label; the shipped narratives have 20 or more


def models_dir() -> Path:
    """The folder of the entity catalog, the narratives and the trained models.

    ``NARRATIVE_MODELS`` when set; else the copy a wheel ships inside the package
    (``narrative/models``, put there by setup.py); else the checkout's ``models/`` (an editable
    install). ``narrative models path`` prints it.

    >>> (models_dir() / "entities.yaml").is_file()
    True
    """
    env = os.environ.get("NARRATIVE_MODELS")
    if env:
        return Path(env)
    packaged = Path(__file__).resolve().parent / "models"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "models"


def _shipped_models() -> Path:
    """The models folder that ships with the code (what :func:`models_dir` gives without NARRATIVE_MODELS)."""
    packaged = Path(__file__).resolve().parent / "models"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "models"


class Listing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    exchange: str
    currency: str
    kind: Literal["share", "adr", "etf", "index", "fund"] = "share"
    primary: bool = False
    # One or two letters, or a word ("F", "ALL"): linked only after an exchange prefix ("NYSE: F"), never alone.
    ambiguous: bool = False


class Entity(BaseModel):
    """One canonical entity with every name it goes by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    type: EntityType
    country: str | None = None
    aliases: tuple[str, ...] = ()  # matched case-insensitively
    exact_aliases: tuple[str, ...] = ()  # matched case-sensitively: words that are also common words
    zh: tuple[str, ...] = ()  # Chinese names
    # Names that are common words ("Target", "Gap", "Visa"): linked only where the statistical NER tags them
    # as a name, never matched by the phrase ruler (issue 10).
    ner_aliases: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    indices: tuple[str, ...] = ()  # index memberships, as the source names them ("S&P 500", "Hang Seng Tech")
    parent: str | None = None  # id of the owning entity (Qwen -> alibaba)
    chinese: bool = False  # a catalog fact (headquartered in greater China); narratives state their scope in YAML

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not value.replace("-", "").replace("_", "").isalnum() or value.lower() != value:
            raise ValueError(f"id {value!r} must be lowercase letters, digits, '-' or '_'")
        return value

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(listing.symbol for listing in self.listings)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.exact_aliases, *self.ner_aliases, *self.zh, *self.tickers)


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    entities: tuple[Entity, ...] = Field(min_length=1)
    # Strings the statistical NER tags as names that name nothing ("CEO", "AI"): never stored as mentions.
    stop_names: tuple[str, ...] = ()
    # Generated entity files (JSON with an "entities" list, paths relative to this file) merged in at load time:
    # models/catalog/companies.json is built by scripts/build_catalog.py.
    includes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_unique(self) -> Catalog:
        ids: set[str] = set()
        owner: dict[str, str] = {}
        for entity in self.entities:
            if entity.id in ids:
                raise ValueError(f"duplicate entity id {entity.id!r}")
            ids.add(entity.id)
        for entity in self.entities:
            if entity.parent and entity.parent not in ids:
                raise ValueError(f"entity {entity.id!r}: parent {entity.parent!r} is not in the catalog")
            for name in {
                n.casefold() for n in (entity.name, *entity.aliases, *entity.ner_aliases, *entity.zh, *entity.tickers)
            }:
                if name in owner and owner[name] != entity.id:
                    raise ValueError(f"name {name!r} belongs to both {owner[name]!r} and {entity.id!r}")
                owner[name] = entity.id
        return self

    def by_id(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}

    def fingerprint(self) -> str:
        """Short hash of the catalog's content: changes whenever any entity changes."""
        return hashlib.sha1(self.model_dump_json().encode()).hexdigest()[:10]


def _load_yaml_model(path: Path, model: type[BaseModel], prepare=None) -> BaseModel:
    if not path.is_file():
        raise ConfigError(Errors.E050.format(path=path))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise yaml_error(path, exc) from None
    if prepare is not None:
        data = prepare(path, data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = " -> ".join(str(p) for p in error["loc"]) or "top level"
        problem = error["msg"].removeprefix("Value error, ")
        raise ConfigError(Errors.E051.format(path=path, location=where, problem=problem)) from None


@lru_cache(maxsize=8)
def _load_catalog_cached(path: str, mtime: float) -> Catalog:
    return _load_yaml_model(Path(path), Catalog, _with_includes)  # type: ignore[return-value]


def _with_includes(path: Path, data):
    """Append the entities of every file in ``includes`` (JSON, read fast) to the YAML's own."""
    if not isinstance(data, dict) or not data.get("includes"):
        return data
    entities = list(data.get("entities") or [])
    for name in data["includes"]:
        # Beside the catalog first; else the shipped copy, so an edited entities.yaml kept elsewhere still
        # includes the generated constituents without copying them.
        include = path.parent / name
        if not include.is_file() and (_shipped_models() / name).is_file():
            include = _shipped_models() / name
        try:
            entities.extend(json.loads(include.read_text(encoding="utf-8"))["entities"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(Errors.E052.format(path=path, include=include, problem=exc)) from None
    return {**data, "entities": entities}


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load and validate the entity catalog (default ``models/entities.yaml`` and the files it includes).

    >>> len(load_catalog().entities) > 1000
    True
    """
    path = Path(path) if path else models_dir() / "entities.yaml"
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _load_catalog_cached(str(path), mtime)


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
