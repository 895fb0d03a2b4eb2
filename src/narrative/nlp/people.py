"""People with the role and organisation the text gives them, and the quotes they are given.

Two shapes cover most financial news: an appositive after the name ("Winnie Wu,
chief China equity strategist at Bank of America, said") and a title before it
("Alibaba chief executive Eddie Wu", "Bank of America strategist Winnie Wu").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.tokens import Doc

from .entities import ROLE_WORDS
from .types import Mention, Person

_ORG_SPLIT = re.compile(r"\s+(?:at|of|with|for|from)\s+(?=\S)", re.IGNORECASE)
_QUOTE = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_PARENS = re.compile(r"\s*\([^)]{0,40}\)")  # used with .match(text, pos): anchored there
_APPOS_END = re.compile(r",|\.\s|;|:|\s(?:said|says|told|added|adds|noted|notes|wrote|writes|observes|observed)\b")


def extract_people(doc: Doc, mentions: Sequence[Mention]) -> list[Person]:
    """One :class:`Person` per PERSON mention, with role, organisation and quote when stated."""
    text = doc.text
    people: dict[tuple, Person] = {}
    orgs = [m for m in mentions if m.label == "ORG"]  # not places, not products ("Nvidia H20")
    for mention in mentions:
        if mention.label != "PERSON":
            continue
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is None:  # offsets outside this doc: nothing to read a role from
            continue
        sentence = doc[span.start].sent
        role, org = _appositive(text, mention, orgs, sentence.end_char)
        if role is None:
            role, org = _title_before(text, mention, orgs, sentence.start_char)
        person = Person(
            name=mention.name,
            entity_id=mention.entity_id,
            role=role,
            org=org.name if org else None,
            org_entity_id=org.entity_id if org else None,
            quote=_quote(sentence.text),
            start=mention.start,
            end=mention.end,
            sentence=mention.sentence,
        )
        # "Winnie Wu (吴淑华)": two names of one person in one sentence make one record.
        key = (mention.entity_id or mention.name.casefold(), mention.sentence)
        known = people.get(key)
        if known is None:
            people[key] = person
        else:
            known.role, known.org = known.role or person.role, known.org or person.org
            known.org_entity_id = known.org_entity_id or person.org_entity_id
    return list(people.values())


def _appositive(text: str, person: Mention, orgs: Sequence[Mention], limit: int) -> tuple[str | None, Mention | None]:
    cursor = person.end
    parens = _PARENS.match(text, cursor, limit)
    if parens:
        cursor = parens.end()
    rest = text[cursor:limit]
    if not rest.lstrip().startswith(","):
        if rest.lstrip().lower().startswith(("of ", "at ", "from ")):  # "Jane Doe of Nomura"
            return None, _best_org(orgs, cursor, cursor + 60)
        return None, None
    start = cursor + rest.index(",") + 1
    end_match = _APPOS_END.search(text, start, limit)
    end = end_match.start() if end_match else limit
    phrase = text[start:end]
    if not phrase.strip() or len(phrase.split()) > 14 or not ROLE_WORDS.search(phrase):
        return None, None
    splits = [m for m in _ORG_SPLIT.finditer(phrase) if _best_org(orgs, start + m.end(), end)]
    if splits:  # "chief strategist at Bank of America": the role, then the organisation
        cut = splits[-1]
        return _clean_role(phrase[: cut.start()]), _best_org(orgs, start + cut.end(), end)
    org = _best_org(orgs, start, end)
    if org is not None and org.start - start <= 2:  # ", Alibaba's chief executive," / ", Nomura analyst,"
        return _clean_role(text[org.end : end]), org
    return _clean_role(phrase), None


def _best_org(orgs: Sequence[Mention], start: int, end: int) -> Mention | None:
    """The organisation inside [start, end), preferring catalog-linked ones."""
    inside = [m for m in orgs if start <= m.start and m.end <= end]
    linked = [m for m in inside if m.entity_id]
    return linked[0] if linked else inside[0] if inside else None


def _title_before(text: str, person: Mention, orgs: Sequence[Mention], floor: int) -> tuple[str | None, Mention | None]:
    window_start = max(floor, person.start - 80)
    before = text[window_start : person.start]
    words = before.split()
    if not words:
        return None, None
    # The title is the run of words right before the name, after the last organisation.
    org = None
    for candidate in orgs:
        if window_start <= candidate.start and candidate.end <= person.start:
            org = candidate
    role_text = text[org.end : person.start] if org else " ".join(words[-4:])
    # "... for H20 shipments, and chief executive Jensen Huang": only the title's own clause
    role_text = re.split(r",|;|\band\b|\bwhile\b", role_text)[-1].strip(" ’'s,")
    if org is None:
        tail: list[str] = []
        for word in reversed(role_text.split()):
            if not (
                ROLE_WORDS.search(word)
                or word.lower()
                in ("equity", "china", "asia", "global", "investment", "market", "markets", "fund", "research", "and")
            ):
                break
            tail.insert(0, word)
        role_text = " ".join(tail)
    if not role_text or not ROLE_WORDS.search(role_text) or len(role_text.split()) > 6:
        return None, None
    return _clean_role(role_text), org


def _clean_role(role: str) -> str | None:
    role = " ".join(role.replace("’s", "").split()).strip(" ,;:-")
    role = re.sub(r"^(?:the|a|an)\s+", "", role, flags=re.IGNORECASE)
    return role or None


def _quote(sentence: str) -> str | None:
    match = _QUOTE.search(sentence)
    return match.group(1).strip() if match else None
