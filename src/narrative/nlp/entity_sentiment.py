"""Entity-level sentiment: the tone of one sentence *toward one entity named in it* (issue 10 item 4).

The model (``models/entity_sentiment``, trained by ``scripts/train_entity_sentiment.py`` on SEntFiN's
entity labels) reads each sentence ONCE for all the mentions in it: the encoder's token states are pooled over
each mention's tokens (:func:`span_windows` maps the mention's characters to tokens through the tokenizer's
offsets), and a small head reads that span, an attention over the sentence from it, and the sentence's [CLS]
state, so two companies in one sentence can get opposite labels. Models of the earlier format (an ONNX file
without a ``span_mask`` input) read a text pair per mention: the entity's name, then the sentence with that
mention wrapped in ``<<`` ``>>`` (:func:`mark_target`). Both run with ONNX Runtime (int8) and the ``tokenizers``
library only: no torch at inference time.

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
from .sentiment_runtime import UNFUSED_OPTIMIZERS

log = logging.getLogger(__name__)

OPEN, CLOSE = "<<", ">>"  # plain vocabulary tokens: no new embeddings needed
MAX_LENGTH = 64  # tokens; SEntFiN headlines and most news sentences fit (longer ones are read in windows)
ONNX_FILE = "model.int8.onnx"
SPAN_INPUT = "span_mask"  # the one-pass-per-sentence format's extra input: (sentences, mentions, tokens)

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
    found = locate(sentence, entity, start, end)
    if found is None:
        return sentence
    start, end = found
    return f"{sentence[:start]}{OPEN} {sentence[start:end]} {CLOSE}{sentence[end:]}"


def locate(sentence: str, entity: str, start: int | None = None, end: int | None = None) -> tuple[int, int] | None:
    """The mention's character span: ``start``/``end`` when they lie inside the sentence, else the first
    case-insensitive occurrence of ``entity``, else None (as :func:`mark_target` chooses).

    >>> locate("Tata Steel up, Tata Motors down", "tata motors")
    (15, 26)
    """
    if start is not None and end is not None and 0 <= start < end <= len(sentence):
        return start, end
    found = re.search(re.escape(entity.strip()), sentence, re.IGNORECASE) if entity.strip() else None
    return found.span() if found else None


# One model run: token ids ([CLS] ... [SEP]) and, per mention read in it, (mention index, first token, end token).
Window = tuple[list[int], list[tuple[int, int, int]]]


def span_windows(
    tokenizer, sentence: str, spans: Sequence[tuple[int, int] | None], max_length: int = MAX_LENGTH
) -> list[Window]:
    """Tokenise ``sentence`` once and give the model runs that read every mention: one run when the sentence fits
    in ``max_length`` tokens, else windows of ``max_length`` tokens, each centred on a mention the previous window
    did not hold (mentions inside a window share it). A mention's tokens are those whose characters overlap its
    span (``tokenizer``'s offset mapping: ``Nestlé`` -> ``nest ##le``, a CJK character -> its own token); a mention
    with no span or no token is read at [CLS] (the sentence's tone). The training script encodes through this too.

    >>> tok = load_tokenizer(default_model_path(), pairs=False)  # doctest: +SKIP
    >>> span_windows(tok, "Infosys gains while Wipro slips", [(0, 7), (20, 25)])  # doctest: +SKIP
    [([101, 1999, ..., 102], [(0, 1, 3), (1, 5, 6)])]
    """
    encoding = tokenizer.encode(sentence)
    content = [i for i, special in enumerate(encoding.special_tokens_mask) if not special]
    ids = [encoding.ids[i] for i in content]
    offsets = [encoding.offsets[i] for i in content]
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokens: list[tuple[int, int] | None] = []
    for span in spans:
        hit = [k for k, (a, b) in enumerate(offsets) if span and b > a and a < span[1] and b > span[0]]
        tokens.append((hit[0], hit[-1] + 1) if hit else None)
    width = max(1, max_length - 2)
    windows: list[tuple[int, int, list[int]]] = []
    if len(ids) <= width:
        windows.append((0, len(ids), list(range(len(spans)))))
    else:
        for m in sorted(range(len(spans)), key=lambda m: (tokens[m] or (-1, -1))[0]):
            first, end = tokens[m] or (0, 0)
            if windows and windows[-1][0] <= first and end <= windows[-1][1]:
                windows[-1][2].append(m)
                continue
            start = max(0, min((first + end) // 2 - width // 2, len(ids) - width))
            windows.append((start, start + width, [m]))
    out: list[Window] = []
    for start, stop, members in windows:
        read = []
        for m in members:
            found = tokens[m]
            # +1: the [CLS] in front; a mention longer than the window keeps the part inside it
            read.append((m, max(found[0], start) - start + 1, min(found[1], stop) - start + 1) if found else (m, 0, 1))
        out.append(([cls, *ids[start:stop], sep], read))
    return out


def span_feed(ids: list[int], read: list[tuple[int, int, int]]) -> dict[str, Any]:
    """The model's inputs for one window of :func:`span_windows`: its tokens, and a span-mask row per mention read.

    >>> feed = span_feed([101, 7, 8, 102], [(0, 1, 2), (1, 2, 3)])
    >>> feed["span_mask"].tolist()
    [[[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]]
    """
    import numpy as np

    span_mask = np.zeros((1, len(read), len(ids)), dtype=np.float32)
    for row, (_, first, end) in enumerate(read):
        span_mask[0, row, first:end] = 1.0
    return {
        "input_ids": np.asarray([ids], dtype=np.int64),
        "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
        "token_type_ids": np.zeros((1, len(ids)), dtype=np.int64),
        SPAN_INPUT: span_mask,
    }


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
    # The graph rewrites left off at load move scores slightly (issue 12, session 8): they are part of the version.
    digest.update(f"without {','.join(UNFUSED_OPTIMIZERS)}".encode())
    return f"{where.resolve().name}@{digest.hexdigest()[:8]}"


def load_tokenizer(path: Path, *, pairs: bool = True):
    """The model's ``tokenizer.json``: for (entity, marked sentence) pairs, truncating the sentence only; with
    ``pairs=False``, for whole sentences, never truncated (:func:`span_windows` cuts windows instead)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_padding()
    if pairs:
        tokenizer.enable_truncation(MAX_LENGTH, strategy="only_second")
    else:
        tokenizer.no_truncation()
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
        self.per_sentence = SPAN_INPUT in {i.name for i in session.get_inputs()}  # one run reads all mentions
        self.runs = 0  # model runs so far (one per sentence, or per target for the pair format)

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
        # As for the sentence model: onnxruntime's SkipLayerNormalization is slower here than the Add and
        # LayerNormalization it would replace (+5% mentions per CPU-second left apart, issue 12).
        session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED_OPTIMIZERS
        )
        log.info("loaded entity sentiment model %s", version)
        pairs = SPAN_INPUT not in {i.name for i in session.get_inputs()}
        tokenizer = load_tokenizer(where, pairs=pairs)
        return cls(session, tokenizer, version=version, order=order, pad_id=int(config.get("pad_token_id") or 0))

    def score(self, targets: Sequence[Target], batch_size: int = 1) -> list[SentimentScore]:
        """Class probabilities toward each target; output order follows input order.

        The one-pass-per-sentence format (the shipped model) runs each distinct sentence once for all its targets
        (``batch_size`` is not used). The pair format runs one target per run by default: dynamic int8 quantises
        each run's activations with one scale, so in a batch a target's probabilities move with its batchmates (up
        to 0.43 and 5 labels in 300 on SEntFiN headlines); alone, a mention gets the same score in ``enrich`` and
        ``analyze``, for about 25% more time.

        >>> EntitySentimentModel.load().score([("Wipro slips", "Wipro", 0, 5)])[0].label  # doctest: +SKIP
        'negative'
        """
        if not targets:
            return []
        if self.per_sentence:
            return self._score_per_sentence(targets)
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
            self.runs += 1
            for i, p in zip(idx, self._softmax(logits)):
                probs[i] = p
        return [SentimentScore(LABELS[max(range(3), key=p.__getitem__)], *p) for p in probs]

    def _score_per_sentence(self, targets: Sequence[Target]) -> list[SentimentScore]:
        """One run per distinct sentence (per window of a sentence longer than MAX_LENGTH) for all its targets.

        One sentence per run, so dynamic int8 sets the encoder's activation scales from that sentence alone; the
        head that reads each mention is not quantised, so a mention's score depends neither on other sentences nor
        on the other mentions scored with it (beyond float rounding, ~1e-10, in the head's products)."""

        by_sentence: dict[str, list[int]] = {}
        for i, (sentence, *_) in enumerate(targets):
            by_sentence.setdefault(sentence, []).append(i)
        probs: list[Any] = [None] * len(targets)
        for sentence, members in by_sentence.items():
            spans = [locate(sentence, *targets[i][1:]) for i in members]
            for ids, read in span_windows(self.tokenizer, sentence, spans):
                logits = self.session.run(None, span_feed(ids, read))[0][0]
                self.runs += 1
                for (m, _, _), p in zip(read, self._softmax(logits)):
                    probs[members[m]] = p
        return [SentimentScore(LABELS[max(range(3), key=p.__getitem__)], *p) for p in probs]

    def _softmax(self, logits) -> list[list[float]]:
        import numpy as np

        logits = logits[:, self._order].astype(np.float64)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).tolist()
