"""Financial sentiment scoring with a small local transformer.

The default model is the repository's ``models/sentiment`` (a MiniLM-L6 fine-tuned by
``scripts/train_sentiment.py``; see its MODEL_CARD.md). Any local sequence-classification
directory or, when online, a hub id such as ``"ProsusAI/finbert"`` works too: labels are read
from the model's ``id2label``, whatever their order.

Example::

    >>> from narrative.nlp.sentiment import SentimentModel
    >>> model = SentimentModel.load()                                   # doctest: +SKIP
    >>> model.score(["Quarterly profit doubled and the company raised guidance."])[0].label  # doctest: +SKIP
    'positive'
    >>> s = model.score_targets([("Alibaba", "Alibaba beat estimates while Baidu missed")])[0]  # doctest: +SKIP
    >>> round(s.polarity, 2) > 0                                        # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..catalog import models_dir
from ..errors import ConfigError, Errors
from .sentiment_runtime import (
    UNFUSED_OPTIMIZERS,
    RunPool,
    fast_tokenizer,
    fingerprint,
    onnx_session,
    resolve_device,
    resolve_threads,
)

log = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
BATCH_INVARIANT = "narrative.batch_invariant"  # ONNX metadata key written by scripts/export_sentiment_onnx.py
_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "bearish": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
    "bullish": "positive",
}


@dataclass(frozen=True)
class SentimentScore:
    """Class probabilities of one text; ``label`` is the most probable class."""

    label: str
    negative: float
    neutral: float
    positive: float

    @property
    def polarity(self) -> float:
        """``positive - negative``, in [-1, 1]."""
        return self.positive - self.negative

    def as_dict(self) -> dict[str, float | str]:
        return {**asdict(self), "polarity": self.polarity}


def default_model_path() -> Path:
    """``$NARRATIVE_MODELS/sentiment`` or the repository's ``models/sentiment``."""
    return models_dir() / "sentiment"


class SentimentModel:
    """A loaded 3-class sentiment classifier. Build it with :meth:`load`.

    On the CPU the shipped model runs on ONNX Runtime with the ``tokenizers`` library: torch and transformers are
    not imported at all. Scores of sentences seen before in this process are reused (wire copies repeat them).
    """

    CACHE_SIZE = 50_000  # sentences whose scores are kept; the cache is emptied when full

    def __init__(
        self,
        tokenizer,
        *,
        id2label: dict[int, str],
        name: str,
        version: str,
        device: str = "cpu",
        max_length: int = 128,
        session=None,
        model=None,
        pad_id: int = 0,
        runs_at_once: int = 1,
    ) -> None:
        self.model = model  # a torch module, or None on the ONNX backend
        self.session = session  # an onnxruntime.InferenceSession when the ONNX backend is used
        self.backend = "onnx-int8" if session is not None else "torch"
        self.tokenizer = tokenizer  # a tokenizers.Tokenizer
        self.name = name
        self._version = version
        self.device = device
        self.max_length = max_length
        self._pad_id = pad_id
        self._pool = RunPool(runs_at_once if session is not None else 1)  # torch uses its own intra-op threads
        self._inputs = {i.name for i in session.get_inputs()} if session is not None else set()
        # A model whose activation scales are fixed (static int8, calibrated at export) scores a text the same
        # whatever its batchmates: it says so in its metadata. Any other ONNX model (dynamic int8 quantises each
        # run's activations with one scale) runs one text per run.
        meta = session.get_modelmeta().custom_metadata_map if session is not None else {}
        self.batch_invariant = session is None or meta.get(BATCH_INVARIANT) == "1"
        self._cache: dict[str, SentimentScore] = {}
        id2label = {int(k): str(v).lower() for k, v in id2label.items()}
        try:
            mapped = [_ALIASES[id2label[i]] for i in range(len(id2label))]
        except KeyError as exc:
            raise ConfigError(Errors.E132.format(name=name, labels=id2label)) from exc
        if sorted(mapped) != sorted(LABELS):
            raise ConfigError(Errors.E133.format(name=name, labels=id2label))
        # column j of the model output -> position in LABELS
        self._order = [mapped.index(label) for label in LABELS]

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        path_or_hub_id: str | os.PathLike | None = None,
        *,
        device: str | None = None,
        quantize: bool = False,
        threads: int | None = None,
        max_length: int = 128,
        backend: str = "auto",
    ) -> SentimentModel:
        """Load a local model directory (default ``models/sentiment``) or a hub id.

        ``device``: ``cpu``, ``cuda`` (bf16), ``cuda:N`` or ``auto`` (default: the ``device`` setting, ``auto``).
        ``backend="auto"`` runs the directory's ``model.int8.onnx`` (written by
        scripts/export_sentiment_onnx.py) with ONNX Runtime when both exist, on CPU: per-channel
        int8 that scores as accurately as fp32 torch on PhraseBank at about 2.5x the speed;
        ``backend="torch"`` always uses torch.
        ``quantize=True`` applies torch's dynamic int8 quantisation to the Linear layers (CPU only).
        ``threads`` (default: the CPUs this process may use): torch's intra-op threads; on ONNX Runtime, how many
        texts (or batches) run at once, each on one thread (:class:`~.sentiment_runtime.RunPool`).
        Raises :class:`~narrative.errors.ConfigError` with a one-line fix when the model
        cannot be found or read, or when CUDA is asked for and absent.
        """
        if backend not in ("auto", "torch", "onnx"):
            raise ConfigError(Errors.E134.format(backend=backend))
        device = resolve_device(device)
        target = default_model_path() if path_or_hub_id is None else path_or_hub_id
        path = Path(target).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise ConfigError(Errors.E135.format(path=path))
            source, name = str(path), path.resolve().name
        elif path.exists() or str(target).startswith((".", "/", "~")) or str(target).count("/") > 1:
            raise ConfigError(Errors.E136.format(path=target))
        else:
            source, name = str(target), str(target)
        onnx_file = path / "model.int8.onnx" if path.is_dir() else None
        if backend == "onnx" or (
            backend == "auto"
            and device == "cpu"
            and not quantize
            and onnx_file is not None
            and onnx_file.is_file()
            and (path / "tokenizer.json").is_file()
        ):
            return cls._load_onnx(path, onnx_file, name=name, threads=threads, max_length=max_length)
        return cls._load_torch(
            source, path, name=name, device=device, quantize=quantize, threads=threads, max_length=max_length
        )

    @classmethod
    def _load_onnx(
        cls, path: Path, onnx_file: Path | None, *, name: str, threads: int | None, max_length: int
    ) -> SentimentModel:
        import json

        session = onnx_session(onnx_file)
        assert onnx_file is not None  # onnx_session raised otherwise
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        # The ONNX weights are part of what produced a score: fold them into the fingerprint (the same string as
        # when this backend loaded the torch model too, so stored scores stay current).
        # The graph rewrites left off at load (UNFUSED_OPTIMIZERS) are part of what produced it too.
        torch_version = f"{name}@{fingerprint(str(path), True, None)}"
        runtime = f"without {','.join(UNFUSED_OPTIMIZERS)}".encode()
        digest = hashlib.sha256(torch_version.encode() + onnx_file.read_bytes() + runtime).hexdigest()[:8]
        log.info("loaded sentiment model %s@%s on ONNX Runtime", name, digest)
        return cls(
            fast_tokenizer(path, None),
            id2label=config.get("id2label", {}),
            name=name,
            version=f"{name}@{digest}",
            max_length=max_length,
            session=session,
            pad_id=int(config.get("pad_token_id") or 0),
            runs_at_once=resolve_threads(threads),
        )

    @classmethod
    def _load_torch(
        cls, source: str, path: Path, *, name: str, device: str, quantize: bool, threads: int | None, max_length: int
    ) -> SentimentModel:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a "Loading weights" bar would land in cron logs

        if device == "cpu":
            torch.set_num_threads(resolve_threads(threads))
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = AutoModelForSequenceClassification.from_pretrained(source, dtype=dtype)
        except (OSError, ValueError) as exc:
            where = (
                "a local model directory that cannot be read"
                if path.is_dir()
                else "neither a local model directory nor reachable on the Hugging Face hub"
            )
            raise ConfigError(Errors.E137.format(source=source, problem=where, kind=type(exc).__name__)) from exc
        model.eval().to(device)
        if quantize:
            if device != "cpu":
                raise ConfigError(Errors.E138.format(device=device))
            with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        version = f"{name}@{fingerprint(source, path.is_dir(), model)}" + ("+int8" if quantize else "")
        version += "+bf16" if device.startswith("cuda") else ""
        log.info("loaded sentiment model %s on %s", version, device)
        return cls(
            fast_tokenizer(path, tokenizer),
            id2label=model.config.id2label,
            name=name,
            version=version,
            device=device,
            max_length=max_length,
            model=model,
            pad_id=tokenizer.pad_token_id or 0,
        )

    @property
    def version(self) -> str:
        """``<model dir or hub id>@<8 hex of config + weights>`` (``+int8`` when quantised, ``+bf16`` on CUDA)."""
        return self._version

    # ------------------------------------------------------------------ scoring
    def score(self, texts: Sequence[str], batch_size: int = 64) -> list[SentimentScore]:
        """Score sentences; output order follows input order. Each distinct text not scored before in this
        process goes through the model once."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            if len(self._cache) + len(new) > self.CACHE_SIZE:
                self._cache.clear()
            self._cache.update(zip(new, self.run_encoded(self.encode(new), batch_size)))
        return [self._cache[t] for t in texts]

    def clear_cache(self) -> None:
        """Forget the scores kept for sentences seen before (the next :meth:`score` runs the model on each)."""
        self._cache.clear()

    def score_targets(self, pairs: Sequence[tuple[str, str]], batch_size: int = 64) -> list[SentimentScore]:
        """Entity-targeted sentiment of ``(entity, sentence)`` pairs (the tone *for that entity*)."""
        if not pairs:
            return []
        return self.run_encoded(self.encode(list(pairs)), batch_size)

    def encode(self, texts: Sequence[str] | Sequence[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        """(input ids, token type ids) of texts or of (entity, sentence) pairs, truncated to ``max_length`` tokens
        (a pair loses the sentence's tail). The fast tokenizer encodes the batch on several threads."""
        if not texts:
            return []
        pairs = isinstance(texts[0], tuple)
        self.tokenizer.enable_truncation(self.max_length, strategy="only_second" if pairs else "longest_first")
        return [(e.ids, e.type_ids) for e in self.tokenizer.encode_batch(list(texts))]

    def run_encoded(self, encoded: Sequence[tuple[list[int], list[int]]], batch_size: int = 64) -> list[SentimentScore]:
        """Scores of :meth:`encode`'s output, in its order.

        On ONNX Runtime, texts are grouped by their exact token count and each group is run in batches of up to
        ``batch_size`` when the model is static int8 (activation scales fixed at export, integer matrix products):
        no text is ever padded, so a text's probabilities are the same bits alone or among any batchmates, and
        ``analyze``, ``enrich`` and every engine store the same rows. A model without fixed scales (the shipped
        dynamic int8 picks one activation scale per run, which moved probabilities by up to 0.19 in batches of 64)
        runs one text per run. Runs go on the model's :class:`RunPool` (one thread each), so the same bits come out
        whatever the number of threads. The torch backend (CUDA) sorts by length and pads each batch to its longest
        text.
        """
        import numpy as np

        if self.session is not None:
            if not self.batch_invariant:
                batch_size = 1
            by_length: dict[int, list[int]] = {}
            for i, (tokens, _) in enumerate(encoded):
                by_length.setdefault(len(tokens), []).append(i)
            batches = [
                group[start : start + batch_size]
                for _, group in sorted(by_length.items())
                for start in range(0, len(group), batch_size)
            ]
        else:
            order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
            batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(idx: list[int]):
            width = max(len(encoded[i][0]) for i in idx)
            if all(len(encoded[i][0]) == width for i in idx):  # ONNX batches: one token count, nothing to pad
                ids = np.array([encoded[i][0] for i in idx], dtype=np.int64)
                types = np.array([encoded[i][1] for i in idx], dtype=np.int64)
                return self._logits(ids, np.ones_like(ids), types)
            ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encoded[i][0])
                ids[row, :n], types[row, :n], mask[row, :n] = encoded[i][0], encoded[i][1], 1
            return self._logits(ids, mask, types)

        probs = np.zeros((len(encoded), len(LABELS)), dtype=np.float32)
        for idx, logits in zip(batches, self._pool.map(run, batches)):
            logits = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            probs[idx] = (exp / exp.sum(axis=1, keepdims=True))[:, self._order]
        return [SentimentScore(LABELS[int(p.argmax())], *(float(x) for x in p)) for p in probs]

    def _logits(self, ids, mask, types):
        if self.session is not None:
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            return self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0].astype("float32")
        import torch

        with torch.inference_mode():
            inputs = {
                "input_ids": torch.from_numpy(ids),
                "attention_mask": torch.from_numpy(mask),
                "token_type_ids": torch.from_numpy(types),
            }
            logits = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).logits
            return logits.float().cpu().numpy()
