"""Entity-level sentiment: the tone of one sentence *toward one entity named in it* (issue 10 item 4).

The model (``models/entity_sentiment``, trained by ``scripts/train_entity_sentiment.py`` on SEntFiN's
entity labels) reads a text pair: the entity's name, then the sentence with that entity's mention wrapped
in ``<<`` ``>>`` (:func:`mark_target`), so two companies in one sentence can get opposite labels. It runs
with ONNX Runtime (int8) and the ``tokenizers`` library only: no torch at inference time.

Example::

    >>> mark_target("Infosys gains while Wipro slips", "Wipro", 20, 25)
    'Infosys gains while << Wipro >> slips'
    >>> model = EntitySentimentModel.load()                                        # doctest: +SKIP
    >>> [s.label for s in model.score([("Infosys gains while Wipro slips", "Infosys", 0, 7),
    ...                                ("Infosys gains while Wipro slips", "Wipro", 20, 25)])]  # doctest: +SKIP
    ['positive', 'negative']
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..catalog import models_dir
from ..errors import ConfigError, Errors
from .sentiment import LABELS, SentimentScore

log = logging.getLogger(__name__)

OPEN, CLOSE = "<<", ">>"  # plain vocabulary tokens: no new embeddings needed
MAX_LENGTH = 64  # tokens; SEntFiN headlines and news sentences fit (longer sentences lose their tail)
ONNX_FILE = "model.int8.onnx"

# A target as the scorer takes it: (sentence, entity name, start, end); start/end index the mention in the
# sentence, or are None to mark the first case-insensitive occurrence of the name.
Target = tuple[str, str, "int | None", "int | None"]


def mark_target(sentence: str, entity: str, start: int | None = None, end: int | None = None) -> str:
    """The sentence with the target mention wrapped in ``<< >>``: the span when given and inside the
    sentence, else the first case-insensitive occurrence of ``entity``, else the sentence unchanged (the
    entity still goes first in the pair).

    >>> mark_target("Tata Steel up, Tata Motors down", "tata motors")
    'Tata Steel up, << Tata Motors >> down'
    """
    if start is None or end is None or not (0 <= start < end <= len(sentence)):
        found = re.search(re.escape(entity.strip()), sentence, re.IGNORECASE) if entity.strip() else None
        if found is None:
            return sentence
        start, end = found.span()
    return f"{sentence[:start]}{OPEN} {sentence[start:end]} {CLOSE}{sentence[end:]}"


def default_model_path() -> Path:
    """``$NARRATIVE_MODELS/entity_sentiment`` or the repository's ``models/entity_sentiment``."""
    return models_dir() / "entity_sentiment"


def model_version(path: Path | None = None) -> str:
    """``<folder name>@<8 hex of config + ONNX weights>``, read without loading the model (to find what is pending
    first); :class:`ConfigError` with the fix when a file is missing.

    >>> model_version().startswith("entity_sentiment@")  # doctest: +SKIP
    True
    """
    where = Path(path) if path is not None else default_model_path()
    missing = [name for name in ("config.json", "tokenizer.json", ONNX_FILE) if not (where / name).is_file()]
    if missing:
        raise ConfigError(Errors.E142.format(path=where, missing=", ".join(missing)))
    digest = hashlib.sha256()
    for name in ("config.json", ONNX_FILE):
        with open(where / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return f"{where.resolve().name}@{digest.hexdigest()[:8]}"


def load_tokenizer(path: Path):
    """The model's ``tokenizer.json`` set up for (entity, marked sentence) pairs, truncating the sentence only."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_LENGTH, strategy="only_second")
    return tokenizer


def encode_targets(tokenizer, targets: Sequence[Target]) -> list[tuple[list[int], list[int]]]:
    """(input ids, token type ids) for each target; the training script encodes through this too."""
    pairs = [(entity, mark_target(sentence, entity, start, end)) for sentence, entity, start, end in targets]
    return [(enc.ids, enc.type_ids) for enc in tokenizer.encode_batch(pairs)]


class EntitySentimentModel:
    """The shipped entity-sentiment classifier on ONNX Runtime. Build it with :meth:`load`."""

    def __init__(self, session, tokenizer, *, version: str, order: list[int], pad_id: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.version = version
        self._order = order  # column j of the model output -> position in LABELS
        self._pad_id = pad_id

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, threads: int = 1) -> EntitySentimentModel:
        """Load ``models/entity_sentiment`` (or ``path``). Raises :class:`ConfigError` with the fix when the
        directory, its ONNX file or onnxruntime is missing. ``threads``: ONNX Runtime's intra-op threads; one is
        fastest on a busy machine (two threads waiting on each other when one is descheduled cost far more).

        >>> EntitySentimentModel.load().version.startswith("entity_sentiment@")  # doctest: +SKIP
        True
        """
        where = Path(path) if path is not None else default_model_path()
        version = model_version(where)
        try:
            import onnxruntime as ort
        except ImportError:
            raise ConfigError(Errors.E143.format(path=where)) from None
        config = json.loads((where / "config.json").read_text(encoding="utf-8"))
        id2label = {int(k): str(v).lower() for k, v in config.get("id2label", {}).items()}
        if sorted(id2label.values()) != sorted(LABELS):
            raise ConfigError(Errors.E144.format(path=where, labels=id2label))
        order = [next(i for i, name in id2label.items() if name == label) for label in LABELS]
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        onnx_path = where / ONNX_FILE
        session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        log.info("loaded entity sentiment model %s", version)
        return cls(
            session, load_tokenizer(where), version=version, order=order, pad_id=int(config.get("pad_token_id") or 0)
        )

    def score(self, targets: Sequence[Target], batch_size: int = 1) -> list[SentimentScore]:
        """Class probabilities toward each target; output order follows input order.

        One target per run by default: dynamic int8 quantises each run's activations with one scale, so in a batch
        a target's probabilities move with its batchmates (up to 0.43 and 5 labels in 300 on SEntFiN headlines);
        alone, a mention gets the same score in ``enrich`` and ``analyze``, for about 25% more time.

        >>> EntitySentimentModel.load().score([("Wipro slips", "Wipro", 0, 5)])[0].label  # doctest: +SKIP
        'negative'
        """
        if not targets:
            return []
        import numpy as np

        encoded = encode_targets(self.tokenizer, targets)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))  # similar lengths batch together
        probs: list[Any] = [None] * len(encoded)
        for first in range(0, len(order), batch_size):
            idx = order[first : first + batch_size]
            width = max(len(encoded[i][0]) for i in idx)
            ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encoded[i][0])
                ids[row, :n], types[row, :n], mask[row, :n] = encoded[i][0], encoded[i][1], 1
            logits = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            logits = logits[:, self._order].astype(np.float64)
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            out = exp / exp.sum(axis=1, keepdims=True)
            for row, i in enumerate(idx):
                probs[i] = out[row].tolist()
        return [SentimentScore(LABELS[max(range(3), key=p.__getitem__)], *p) for p in probs]
