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
from .stance_model import STANCE_LABELS

STYLES = ("headline", "body", "analyst", "social", "press")


@dataclasses.dataclass(frozen=True)
class StanceCorpus:
    folder: Path
    files: dict[str, Path]  # narrative id -> its corpus file
    version: str  # 8 hex of every file's name and bytes
    # (text, label) rows per narrative id, read on first use: a process that finds its narratives prepared on disk
    # hashes the files for the version but never parses them
    _rows: dict[str, list[tuple[str, str]]] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, folder: Path) -> StanceCorpus:
        """The ``*.jsonl`` files in ``folder``, named by narrative id; ConfigError when the folder is missing."""
        if not folder.is_dir():
            raise ConfigError(Errors.E167.format(path=folder))
        digest = hashlib.sha256()
        files = {}
        for path in sorted(folder.glob("*.jsonl")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
            files[path.stem.replace("_", "-")] = path
        return cls(folder, files, digest.hexdigest()[:8])

    def rows(self, narrative_id: str) -> list[tuple[str, str]]:
        """(text, label) of the narrative's corpus lines, in file order; none when it has no file. ConfigError naming
        the file and line of the first bad line."""
        if narrative_id not in self.files:
            return []
        if narrative_id not in self._rows:
            self._rows[narrative_id] = _read(self.files[narrative_id])
        return list(self._rows[narrative_id])


def _read(path: Path) -> list[tuple[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
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
        if label not in STANCE_LABELS or style not in STYLES:
            problem = f"label {label!r} / style {style!r} not among {STANCE_LABELS} / {STYLES}"
            raise ConfigError(Errors.E168.format(path=path, line=number, problem=problem))
        rows.append((text, label))
    return rows
