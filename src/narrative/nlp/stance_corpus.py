"""The stance corpus: labelled sentences, English and Chinese, that the stance classifier learns from next to a
narrative file's examples (issue 9).

A narrative file holds a few hundred examples; the classifier (:mod:`narrative.nlp.stance_model`) reads direction
from character n-grams, so it learns more from more sentences. ``models/narrative_scorer/stance_corpus/<slug>.jsonl``
(``<slug>`` is the narrative id with ``_`` for ``-``) holds thousands more for the shipped narratives, one JSON
object per line::

    {"text": "...", "label": "negative", "style": "headline"}

``heads.json`` names the folder (``stance_model.corpus``). When a narrative is prepared, its corpus lines join its
examples as the classifier's training rows; a narrative with no file there is fitted on its examples alone, so a
new narrative file still needs nothing but YAML. The English lines also train the stance transformer
(``scripts/train_stance_transformer.py``). The corpus's content hash is part of the scorer's version, so every
stored score says which corpus fitted it.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "my_theme.jsonl").write_text('{"text": "Curbs eased", "label": "positive", "style": "headline"}\\n')
>>> corpus = StanceCorpus.load(folder)
>>> corpus.rows("my-theme"), corpus.rows("other")
([('Curbs eased', 'positive')], [])
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from ..errors import ConfigError, Errors

LABELS = ("negative", "neutral", "positive")
STYLES = ("headline", "body", "analyst", "social", "press")


def corpus_file(folder: Path, narrative_id: str) -> Path:
    """Where the corpus lines of ``narrative_id`` live in ``folder``."""
    return folder / f"{narrative_id.replace('-', '_')}.jsonl"


@dataclasses.dataclass(frozen=True)
class StanceCorpus:
    folder: Path
    by_narrative: dict[str, list[tuple[str, str]]]  # narrative id -> (text, label) in file order
    version: str  # 8 hex of every file's name and bytes

    @classmethod
    def load(cls, folder: Path) -> StanceCorpus:
        """Every ``*.jsonl`` file in ``folder``; ConfigError naming the file and line of the first bad line."""
        if not folder.is_dir():
            raise ConfigError(Errors.E167.format(path=folder))
        digest = hashlib.sha256()
        by_narrative = {}
        for path in sorted(folder.glob("*.jsonl")):
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw)
            by_narrative[path.stem.replace("_", "-")] = _rows(path, raw)
        return cls(folder, by_narrative, digest.hexdigest()[:8])

    def rows(self, narrative_id: str) -> list[tuple[str, str]]:
        """(text, label) of the narrative's corpus lines; none when it has no file."""
        return list(self.by_narrative.get(narrative_id, ()))


def _rows(path: Path, raw: bytes) -> list[tuple[str, str]]:
    rows = []
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, label, style = row["text"], row["label"], row["style"]
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"not a corpus line ({exc})"
            raise ConfigError(Errors.E168.format(path=path, line=number, problem=problem)) from None
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(Errors.E168.format(path=path, line=number, problem="empty text"))
        if label not in LABELS or style not in STYLES:
            problem = f"label {label!r} / style {style!r} not among {LABELS} / {STYLES}"
            raise ConfigError(Errors.E168.format(path=path, line=number, problem=problem))
        rows.append((text, label))
    return rows
