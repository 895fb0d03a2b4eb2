"""The entity catalog (``models/entities.yaml``); the narratives (``models/narratives/*.yaml``) are loaded the same
way by :mod:`narrative.narratives` and importable from here too.

Both are data, versioned, loaded with ``yaml.safe_load`` into pydantic models that forbid
unknown keys. Errors read ``file: [key -> path] message``.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


# The narratives' home is narrative.narratives (which reads this module); importable from here as before.
_NARRATIVE_NAMES = frozenset(
    {
        "Examples",
        "Narrative",
        "Poles",
        "Scope",
        "Theme",
        "ThemePatterns",
        "check_scope",
        "content_version",
        "find_narrative",
        "load_narrative",
        "load_narratives",
        "resolve_narrative_id",
    }
)


if TYPE_CHECKING:  # the same names, for type checkers
    from .narratives import (  # noqa: F401
        Examples,
        Narrative,
        Poles,
        Scope,
        Theme,
        ThemePatterns,
        check_scope,
        content_version,
        find_narrative,
        load_narrative,
        load_narratives,
        resolve_narrative_id,
    )


def __getattr__(name: str) -> Any:
    if name in _NARRATIVE_NAMES:
        from . import narratives

        return getattr(narratives, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
