"""What the sentiment model runs on: device and thread choice, the ONNX Runtime session, the tokenizer, the weights'
fingerprint, and :class:`RunPool`, which spreads one-text model runs over the cores (split out of
``narrative.nlp.sentiment``, issue 12).

Example::

    >>> RunPool(1).map(len, ["ab", "c"])
    [2, 1]
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, Errors

# onnxruntime graph rewrites left off in the sentiment session (see :func:`onnx_session`).
UNFUSED_OPTIMIZERS = ["SkipLayerNormFusion"]

T = TypeVar("T")
R = TypeVar("R")


def resolve_threads(threads: int | None) -> int:
    """``threads`` when given (at least 1), else the CPUs this process may use.

    >>> resolve_threads(3)
    3
    """
    if threads:
        return max(1, int(threads))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_device(device: str | None = None) -> str:
    """``cpu`` or ``cuda[:N]`` for a requested device (default: the ``device`` setting, ``auto``): ``auto`` is CUDA
    when torch sees a GPU, else the CPU. Asking for CUDA where torch sees none is a :class:`ConfigError`.

    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    narrative.errors.ConfigError: device 'tpu' is not one of auto, cpu, cuda, cuda:N (--device, NARRATIVE_DEVICE).
    """
    if device is None:
        from ..config import Settings

        device = Settings.load().device
    device = str(device).strip().lower()
    if device == "cpu":
        return "cpu"
    if device == "auto":
        # Importing torch costs a second: without an NVIDIA device node there is nothing for it to find.
        if not any(Path("/dev").glob("nvidia[0-9]*")):
            return "cpu"
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(Errors.E130.format(device=device))
        return device
    raise ConfigError(Errors.E131.format(device=device))


class RunPool:
    """Runs independent model calls on up to ``workers`` threads at once, results in input order.

    ONNX Runtime releases the GIL while it computes, so two one-thread runs of two sentences use two cores fully,
    where one run on two intra-op threads does not: a 25-token sentence is too little work to split (1 thread: 181
    sentences per CPU-second and 179/s wall; 2 intra-op threads: 141/s wall, 2026-11-30, load 0.3). The threads
    start on first use; a process forked after that (``api.parallel``'s workers) starts its own.

    >>> RunPool(2).map(lambda x: x * 2, [1, 2, 3])
    [2, 4, 6]
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        items = list(items)
        if self.workers == 1 or len(items) < 2:
            return [function(item) for item in items]
        if self._executor is None or self._pid != os.getpid():  # a forked child has the object, not the threads
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="narrative-sentiment")
            self._pid = os.getpid()
        return list(self._executor.map(function, items))


def fast_tokenizer(path: Path, loaded):
    """The ``tokenizers.Tokenizer`` behind the model: its ``tokenizer.json``, or a loaded fast tokenizer's backend."""
    if loaded is None or (path.is_dir() and (path / "tokenizer.json").is_file()):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    else:
        if not getattr(loaded, "is_fast", False):
            raise ConfigError(Errors.E139.format(path=path))
        tokenizer = loaded.backend_tokenizer
    tokenizer.no_padding()
    return tokenizer


def onnx_session(path: Path | None, optimized_model: Path | None = None):
    """An ONNX Runtime CPU session on ONE intra-op thread: the cores are used by running several texts at once
    (:class:`RunPool`), not by splitting one text's small matrix products. ``optimized_model``: also write the graph
    as onnxruntime runs it there (after its rewrites), to check which operators run."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError(Errors.E140.format(path=path)) from None
    if path is None or not path.is_file():
        raise ConfigError(Errors.E141.format(path=path))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # No intra-op pool to spin: on two cores shared with spaCy, the encoder and other jobs, spinning threads burnt
    # ~20% more CPU per sentence (scripts/bench_e2e.py).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if optimized_model is not None:
        options.optimized_model_filepath = str(optimized_model)
    # onnxruntime would fuse each residual Add and LayerNormalization back into SkipLayerNormalization, whose CPU
    # kernel took ~3x the time of Add + LayerNormalization here (75 against 26 us on 28 x 384, onnxruntime 1.32):
    # left apart, the export without it scores ~13% more sentences per CPU-second (issue 12, session 8).
    return ort.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED_OPTIMIZERS
    )


def fingerprint(source: str, local: bool, model: Any) -> str:
    """8 hex of a local model's config and weights (or a hub model's commit)."""
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
