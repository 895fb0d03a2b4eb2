"""Entity relevance (issue 10 item 5): how much an article is about each entity it names, 0-100.

As professional news analytics score it (RavenPack's "relevance"), 100 means the entity is the article's subject
(named in the headline, the main actor) and a low score a passing mention ("..., like Apple and Google, ...";
"according to Reuters"). The score is read from the extraction alone, so it costs almost nothing on top of it:

- where the entity is named: in the headline, first in the headline, in the lead sentence, how early;
- how often: its mentions, its share of the article's mentions, whether it is the most named, how many sentences;
- its role in each sentence, from spaCy's dependency parse (:func:`syntactic_role`, kept on each
  :class:`~narrative.nlp.types.Mention`): grammatical subject, the subject's modifier ("Apple shares fell"),
  object, inside a prepositional phrase, the owner of another name ("Apple's Tim Cook"), one of a list;
- what the other extractors tie to it: a stated figure whose subject it is, a person speaking for it.

These features are mapped to a score by a multinomial logistic regression over the labels ``passing`` /
``significant`` / ``subject``, fitted on the dev half of ``tests/gold/entity_relevance`` by
``scripts/eval_entity_relevance.py --fit`` and stored as data in ``models/entity_relevance/weights.json``; the score
is ``100 * (P(subject) + P(significant) / 2)``, the expected label on a 0-100 scale.

>>> from narrative.nlp.types import Extraction, Mention, Sentence
>>> sentences = [Sentence(0, 0, 18, "Apple beats Google"), Sentence(1, 20, 47, "Apple rose, said a broker.")]
>>> mentions = [Mention("apple", "Apple", "ORG", "Apple", 0, 5, 0, "catalog", "subject"),
...             Mention("alphabet", "Alphabet", "ORG", "Google", 12, 18, 0, "catalog", "object"),
...             Mention("apple", "Apple", "ORG", "Apple", 20, 25, 1, "catalog", "subject")]
>>> found = entity_relevance(Extraction("en", sentences, mentions), title_chars=18)
>>> scores = {r.entity_key: r.relevance for r in found}
>>> scores["apple"] > scores["alphabet"]
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections import defaultdict
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..catalog import models_dir
from ..errors import ConfigError, Errors
from .types import Extraction, Mention

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# relevance-2: the features below, counted over every name of the entity in the article; bump when they change
# (the stored rows are then recomputed).
FEATURES_VERSION = "relevance-2"
WEIGHTS_FILE = ("entity_relevance", "weights.json")
LABELS = ("passing", "significant", "subject")

_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})
_OBJECT_DEPS = frozenset({"dobj", "dative", "attr", "oprd", "acomp", "obj"})
_MODIFIER_DEPS = frozenset({"compound", "poss", "nmod", "amod", "npadvmod"})
_NOUNS = frozenset({"NOUN", "PROPN", "PRON", "NUM"})
_NOT_NAMES = frozenset({"", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY"})


def syntactic_role(span: Span) -> str:
    """The part a name plays in its sentence, from the dependency parse: ``subject``, ``object``, ``prep``,
    ``root`` (a headline or a fragment that is only the name), ``owner`` (it qualifies another name: "Apple's Tim
    Cook", "Apple CEO Tim Cook") or ``other``; ``/mod`` when it qualifies the noun that plays the part ("Apple
    shares fell", "shares of Apple fell" -> ``subject/mod``), ``+list`` when it is one of a coordination
    ("Apple and Google" -> both ``+list``).

    >>> import spacy  # doctest: +SKIP
    >>> syntactic_role(spacy.load("en_core_web_sm")("Apple shares fell.")[0:1])  # doctest: +SKIP
    'subject/mod'
    """
    token: Token = span.root
    in_list = any(child.dep_ == "conj" for child in token.children)
    modifier = False
    for _ in range(6):  # a noun phrase is a few levels deep at most
        head = token.head
        if head is token:
            break
        if token.dep_ == "conj":
            in_list, token = True, head
        elif token.dep_ == "appos":
            token = head
        elif token.dep_ in _MODIFIER_DEPS and head.pos_ in _NOUNS:
            if head.ent_type_ not in _NOT_NAMES and not (span.start <= head.i < span.end):
                return _with_list("owner", in_list)
            modifier, token = True, head
        elif token.dep_ == "pobj" and head.dep_ == "prep" and head.lower_ == "of" and head.head.pos_ in _NOUNS:
            modifier, token = True, head.head
        else:
            break
    if token.dep_ in _SUBJECT_DEPS or (token.dep_ == "pobj" and token.head.dep_ == "agent"):
        kind = "subject"
    elif token.dep_ in _OBJECT_DEPS:
        kind = "object"
    elif token.dep_ == "pobj":
        kind = "prep"
    elif token.dep_ == "ROOT" and token.pos_ in _NOUNS:
        kind = "root"
    else:
        kind = "other"
    return _with_list(kind + ("/mod" if modifier else ""), in_list)


def _with_list(kind: str, in_list: bool) -> str:
    return kind + "+list" if in_list else kind


@dataclasses.dataclass
class EntityRelevance:
    """One entity's relevance to one article, with what it was computed from."""

    entity_key: str  # the catalog id, or the lower-cased name of an unlinked entity
    entity_id: str | None
    name: str
    label: str
    relevance: int  # 0-100
    mentions: int
    in_title: bool
    first_sentence: int
    features: dict[str, float]


FEATURES = (
    "in_title",
    "title_first",
    "title_subject",
    "in_lead",
    "log_mentions",
    "share",
    "most_named",
    "earliness",
    "spread",
    "subject",
    "subject_mod",
    "object",
    "prep",
    "owner",
    "in_list",
    "figure_subject",
    "spokesperson",
)


def relevance_features(extraction: Extraction, *, title_chars: int) -> dict[tuple[int, str], dict[str, Any]]:
    """Per entity (keyed ``(linked, entity_key)``), the :data:`FEATURES` and its mentions, from one extraction.

    ``title_chars`` is the headline's length (0 when there is none): mentions starting before it are in the
    headline (the analysed document is the title, a blank line, then the text).

    >>> relevance_features(Extraction("en", []), title_chars=0)
    {}
    """
    by_entity: dict[tuple[int, str], list[Mention]] = defaultdict(list)
    for mention in extraction.mentions:
        by_entity[_key(mention.entity_id, mention.name)].append(mention)
    if not by_entity:
        return {}
    total = sum(len(found) for found in by_entity.values())
    most = max(len(found) for found in by_entity.values())
    title_names = sorted((m for m in extraction.mentions if m.start < title_chars), key=lambda m: m.start)
    first_in_title = _key(title_names[0].entity_id, title_names[0].name) if title_names else None
    body = [s.index for s in extraction.sentences if s.start >= title_chars]
    lead = body[0] if body else None
    sentences = max(1, len(extraction.sentences))
    figure_subjects = {f.subject_entity_id for f in extraction.figures if f.subject_entity_id}
    figure_subjects |= {(f.subject or "").lower() for f in extraction.figures if not f.subject_entity_id}
    spoken_for = {p.org_entity_id for p in extraction.people if p.org_entity_id}
    spoken_for |= {(p.org or "").lower() for p in extraction.people if p.org and not p.org_entity_id}
    families = _name_families(by_entity)
    out = {}
    for key, own in by_entity.items():
        # The entity's mentions under every name it goes by here ("Wirecard" and "Wirecard AG"): one referent.
        found = [m for other in families[key] for m in by_entity[other]]
        roles = [_parts(m.role) for m in found]
        n = len(found)
        in_title = [m for m in found if m.start < title_chars]
        features = {
            "in_title": float(bool(in_title)),
            "title_first": float(first_in_title in families[key]),
            "title_subject": float(any(_parts(m.role)[0] in ("subject", "root") for m in in_title)),
            "in_lead": float(any(m.sentence == lead for m in found)),
            "log_mentions": math.log1p(n),
            "share": n / total,
            "most_named": float(n >= most),
            "earliness": 1.0 - min(m.sentence for m in found) / sentences,
            "spread": len({m.sentence for m in found}) / sentences,
            "subject": sum(r[0] == "subject" and not r[1] for r in roles) / n,
            "subject_mod": sum(r[0] == "subject" and r[1] for r in roles) / n,
            "object": sum(r[0] == "object" for r in roles) / n,
            "prep": sum(r[0] == "prep" for r in roles) / n,
            "owner": sum(r[0] == "owner" for r in roles) / n,
            "in_list": sum(r[2] for r in roles) / n,
            "figure_subject": float(any(other[1] in figure_subjects for other in families[key])),
            "spokesperson": float(any(other[1] in spoken_for for other in families[key])),
        }
        out[key] = {"features": features, "mentions": own}
    return out


_PLACE_LABELS = frozenset({"GPE", "LOC", "NORP"})


def _name_families(by_entity: dict[tuple[int, str], list[Mention]]) -> dict[tuple[int, str], set[tuple[int, str]]]:
    """Each entity key with the keys of the other names this article gives the same referent: a name that is the
    start of a longer one, legal suffixes aside ("Reliance" / "Reliance Industries Ltd", "Delta" / "Delta Air
    Lines"; not a place before an organisation: "U.S." / "U.S. Customs"), and a person's surname alone after the
    full name. Each keeps its own row; the features count every name of the family.
    """
    from .entities import strip_suffix  # entities imports this module (syntactic_role)

    words = {key: strip_suffix(found[0].name).casefold().replace(".", "").split() for key, found in by_entity.items()}
    label = {key: found[0].label for key, found in by_entity.items()}
    families = {key: {key} for key in by_entity}
    for short, short_words in words.items():
        for long, long_words in words.items():
            if short == long or not short_words or len(short_words) > len(long_words):
                continue
            prefix = long_words[: len(short_words)] == short_words and label[short] not in _PLACE_LABELS
            surname = (
                label[short] == label[long] == "PERSON" and len(short_words) == 1 and long_words[-1] == short_words[0]
            )
            if prefix or surname:
                families[short].add(long)
                families[long].add(short)
    return families


def entity_relevance(extraction: Extraction, *, title_chars: int) -> list[EntityRelevance]:
    """Every entity of ``extraction`` with its relevance 0-100 to the article, most relevant first.

    >>> entity_relevance(Extraction("en", []), title_chars=0)
    []
    """
    model = load_weights()
    out = []
    for (_linked, entity_key), found in relevance_features(extraction, title_chars=title_chars).items():
        mentions = found["mentions"]
        first = mentions[0]
        out.append(
            EntityRelevance(
                entity_key=entity_key,
                entity_id=first.entity_id,
                name=first.name,
                label=first.label,
                relevance=relevance_score(found["features"], model),
                mentions=len(mentions),
                in_title=any(m.start < title_chars for m in mentions),
                first_sentence=min(m.sentence for m in mentions),
                features=found["features"],
            )
        )
    return sorted(out, key=lambda r: (-r.relevance, r.first_sentence, r.entity_key))


def relevance_score(features: dict[str, float], model: dict[str, Any]) -> int:
    """``100 * (P(subject) + P(significant) / 2)`` under the fitted model (standardised features, softmax).

    >>> relevance_score({f: 0.0 for f in FEATURES}, {"features": list(FEATURES), "mean": [0.0] * len(FEATURES),
    ...     "scale": [1.0] * len(FEATURES), "coef": [[0.0] * len(FEATURES)] * 3, "intercept": [0.0, 0.0, 0.0],
    ...     "classes": list(LABELS)})
    50
    """
    x = [(features[name] - mean) / scale for name, mean, scale in zip(model["features"], model["mean"], model["scale"])]
    logits = [b + sum(w * v for w, v in zip(row, x)) for row, b in zip(model["coef"], model["intercept"])]
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    prob = dict(zip(model["classes"], (v / sum(exp) for v in exp)))
    return round(100 * (prob.get("subject", 0.0) + prob.get("significant", 0.0) / 2))


@lru_cache(maxsize=1)
def load_weights() -> dict[str, Any]:
    """The fitted model (``models/entity_relevance/weights.json``); a ConfigError naming the file when missing."""
    path = models_dir().joinpath(*WEIGHTS_FILE)
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(Errors.E145.format(path=path, problem=exc)) from None
    if list(model.get("features", [])) != list(FEATURES):
        raise ConfigError(Errors.E146.format(path=path, fitted=model.get("features"), computed=list(FEATURES)))
    return model


def relevance_version() -> str:
    """Stamped on every stored relevance row: the features' version and a hash of the fitted weights.

    >>> relevance_version().startswith(FEATURES_VERSION)  # doctest: +SKIP
    True
    """
    data = json.dumps(load_weights(), sort_keys=True)
    return f"{FEATURES_VERSION}+{hashlib.sha1(data.encode()).hexdigest()[:8]}"


def _key(entity_id: str | None, name: str) -> tuple[int, str]:
    """The aggregates' key (``store.aggregates``): ``(1, id)`` for a catalog entity, ``(0, lower name)`` otherwise."""
    return (1, entity_id) if entity_id is not None else (0, name.lower())


def _parts(role: str | None) -> tuple[str, bool, bool]:
    """``"subject/mod+list"`` -> ``("subject", True, True)``; None (no parse: Chinese) -> ``("", False, False)``."""
    if not role:
        return "", False, False
    in_list = role.endswith("+list")
    kind = role.removesuffix("+list")
    return kind.split("/")[0], kind.endswith("/mod"), in_list
