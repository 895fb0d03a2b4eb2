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
from ..errors import ConfigError

log = logging.getLogger(__name__)

LABELS = ("negative", "neutral", "positive")
_ALIASES = {"negative": "negative", "neg": "negative", "bearish": "negative",
            "neutral": "neutral", "neu": "neutral",
            "positive": "positive", "pos": "positive", "bullish": "positive"}


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


def _resolve_threads(threads: int | None) -> int:
    if threads:
        return max(1, int(threads))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class SentimentModel:
    """A loaded 3-class sentiment classifier. Build it with :meth:`load`."""

    def __init__(self, model, tokenizer, *, name: str, version: str, device: str = "cpu",
                 max_length: int = 128, session=None) -> None:
        self.model = model
        self.session = session  # an onnxruntime.InferenceSession when the ONNX backend is used
        self.backend = "onnx-int8" if session is not None else "torch"
        self.tokenizer = tokenizer
        self.name = name
        self._version = version
        self.device = device
        self.max_length = max_length
        id2label = {int(k): str(v).lower() for k, v in model.config.id2label.items()}
        try:
            mapped = [_ALIASES[id2label[i]] for i in range(len(id2label))]
        except KeyError as exc:
            raise ConfigError(
                f"{name}: id2label {id2label} has no negative/neutral/positive labels. "
                "Use a 3-class sentiment model whose config names its labels."
            ) from exc
        if sorted(mapped) != sorted(LABELS):
            raise ConfigError(f"{name}: expected labels negative/neutral/positive, found {id2label}.")
        # column j of the model output -> position in LABELS
        self._order = [mapped.index(label) for label in LABELS]

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path_or_hub_id: str | os.PathLike | None = None, *, device: str = "cpu",
             quantize: bool = False, threads: int | None = None, max_length: int = 128,
             backend: str = "auto") -> SentimentModel:
        """Load a local model directory (default ``models/sentiment``) or a hub id.

        ``backend="auto"`` runs the directory's ``model.int8.onnx`` (written by
        scripts/export_sentiment_onnx.py) with ONNX Runtime when both exist, on CPU: per-channel
        int8 that scores as accurately as fp32 torch on PhraseBank at about 2.5x the speed;
        ``backend="torch"`` always uses torch.
        ``quantize=True`` applies torch's dynamic int8 quantisation to the Linear layers (CPU only).
        ``threads`` sets ``torch.set_num_threads`` (default: the CPUs this process may use).
        Raises :class:`~narrative.errors.ConfigError` with a one-line fix when the model
        cannot be found or read.
        """
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        target = default_model_path() if path_or_hub_id is None else path_or_hub_id
        path = Path(target).expanduser()
        if device == "cpu":
            torch.set_num_threads(_resolve_threads(threads))
        dtype = torch.bfloat16 if str(device).startswith("cuda") else torch.float32
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise ConfigError(
                    f"{path}: not a model directory (no config.json). Train one with "
                    "scripts/train_sentiment.py, set NARRATIVE_MODELS, or pass a model directory."
                )
            source, name = str(path), path.resolve().name
        elif path.exists() or str(target).startswith((".", "/", "~")) or str(target).count("/") > 1:
            raise ConfigError(
                f"{target}: not a model directory. Pass a directory containing config.json "
                "(default models/sentiment) or a hub id such as ProsusAI/finbert."
            )
        else:
            source, name = str(target), str(target)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = AutoModelForSequenceClassification.from_pretrained(source, dtype=dtype)
        except (OSError, ValueError, EnvironmentError) as exc:
            where = "a local model directory that cannot be read" if path.is_dir() else \
                "neither a local model directory nor reachable on the Hugging Face hub"
            raise ConfigError(
                f"{target}: {where} ({type(exc).__name__}). Pass a directory with config.json "
                "and weights (default models/sentiment), or go online / pre-download the hub model."
            ) from exc
        model.eval().to(device)
        if quantize:
            if device != "cpu":
                raise ConfigError(f"quantize=True works on CPU only, not on {device!r}.")
            with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        version = f"{name}@{_fingerprint(source, path.is_dir(), model)}" + ("+int8" if quantize else "")
        session = None
        onnx_file = path / "model.int8.onnx" if path.is_dir() else None
        if backend == "onnx" or (backend == "auto" and device == "cpu" and not quantize
                                 and onnx_file is not None and onnx_file.is_file()):
            session = _onnx_session(onnx_file, _resolve_threads(threads))
            # The ONNX weights are part of what produced a score: fold them into the fingerprint.
            digest = hashlib.sha256(version.encode() + onnx_file.read_bytes()).hexdigest()[:8]
            version = f"{name}@{digest}"
        elif backend not in ("auto", "torch"):
            raise ConfigError(f"backend {backend!r} is not one of auto, torch, onnx.")
        log.info("loaded sentiment model %s on %s", version, device)
        return cls(model, tokenizer, name=name, version=version, device=device, max_length=max_length,
                   session=session)

    @property
    def version(self) -> str:
        """``<model dir or hub id>@<8 hex of config + weights>`` (``+int8`` when quantised)."""
        return self._version

    # ------------------------------------------------------------------ scoring
    def score(self, texts: Sequence[str], batch_size: int = 64) -> list[SentimentScore]:
        """Score sentences; output order follows input order."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        if not texts:
            return []
        enc = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)
        return self._run(enc, batch_size)

    def score_targets(self, pairs: Sequence[tuple[str, str]], batch_size: int = 64) -> list[SentimentScore]:
        """Entity-targeted sentiment of ``(entity, sentence)`` pairs (the tone *for that entity*)."""
        if not pairs:
            return []
        enc = self.tokenizer([p[0] for p in pairs], [p[1] for p in pairs], truncation="only_second",
                             max_length=self.max_length)
        return self._run(enc, batch_size)

    def _run(self, enc, batch_size: int) -> list[SentimentScore]:
        import torch

        ids = enc["input_ids"]
        types = enc.get("token_type_ids")
        pad = self.tokenizer.pad_token_id or 0
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        probs = [None] * len(ids)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                width = max(len(ids[i]) for i in idx)
                input_ids = torch.full((len(idx), width), pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                type_ids = torch.zeros((len(idx), width), dtype=torch.long)
                for row, i in enumerate(idx):
                    n = len(ids[i])
                    input_ids[row, :n] = torch.tensor(ids[i])
                    mask[row, :n] = 1
                    if types is not None:
                        type_ids[row, :n] = torch.tensor(types[i])
                inputs = {"input_ids": input_ids, "attention_mask": mask}
                if types is not None or self.session is not None:
                    inputs["token_type_ids"] = type_ids
                if self.session is not None:
                    logits = torch.from_numpy(self.session.run(None, {k: v.numpy() for k, v in inputs.items()})[0])
                else:
                    inputs = {k: v.to(self.device) for k, v in inputs.items()}
                    logits = self.model(**inputs).logits
                out = logits.float().softmax(-1)[:, self._order].cpu().tolist()
                for row, i in enumerate(idx):
                    probs[i] = out[row]
        return [SentimentScore(LABELS[max(range(3), key=p.__getitem__)], *p) for p in probs]


def _onnx_session(path: Path | None, threads: int):
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError(f"{path}: the ONNX backend needs onnxruntime (pip install onnxruntime), "
                          "or load with backend='torch'.") from None
    if path is None or not path.is_file():
        raise ConfigError(f"{path}: no model.int8.onnx; write it with scripts/export_sentiment_onnx.py "
                          "or load with backend='torch'.")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _fingerprint(source: str, local: bool, model) -> str:
    digest = hashlib.sha256()
    if local:
        base = Path(source)
        for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
            f = base / name
            if f.is_file():
                with open(f, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
    else:
        digest.update(str(getattr(model.config, "_commit_hash", "") or model.config.to_json_string()).encode())
    return digest.hexdigest()[:8]
