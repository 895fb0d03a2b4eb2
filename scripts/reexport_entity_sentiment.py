#!/usr/bin/env python
"""Re-export the shipped entity-sentiment model with the current export settings, from its own int8 graph.

`scripts/train_entity_sentiment.py` keeps the fp32 checkpoint in a temporary folder only, so the shipped model's
fp32 weights are rebuilt from ``model.int8.onnx`` itself: each quantised weight is dequantised (int8 x its
per-channel scale; the embeddings' uint8 with their zero point), the head's fp32 weights and every bias and
LayerNorm are read as they are, and all of them are loaded into the same torch module the training script builds
(``build_span_model`` around the shipped sentence model's architecture). The rebuilt model agrees with the int8
graph it came from (checked below on SEntFiN training headlines), and is then written by the training script's
``export_onnx``: since session 10, eager attention fused into onnxruntime's operators before int8, which the
shipped file (an SDPA export, 881 operators) lacked. Re-quantising a dequantised weight gives back the same int8
values, so what changes is how activations are computed (fused attention and GELU), not the weights. It reads an
unfused export only: in a fused file one QAttention holds a layer's query, key and value weights together, and the
script stops with one line naming what does not match.

Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/reexport_entity_sentiment.py            # rewrites models/entity_sentiment
    .venv/bin/python scripts/eval_entity_sentiment.py --card                           # then re-measure
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from train_entity_sentiment import build_span_model, export_onnx, read_sentfin  # noqa: E402  (a sibling script)

QUANTISED = "_quantized"


def rebuilt_weights(graph) -> dict:
    """torch state-dict entries of the span model, read from the int8 graph ``graph`` (an ``onnx.ModelProto``)."""
    import numpy as np
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in graph.graph.initializer}

    def dequantised(name: str):
        q, scale, zero = (inits[name + part] for part in (QUANTISED, "_scale", "_zero_point"))
        return (q.astype(np.float32) - zero.astype(np.float32)) * scale  # per-channel scales run along the last axis

    def module(node) -> str:  # "/bert/encoder/layer.0/attention/self/query/MatMul_quant" -> "bert.encoder...query"
        return node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")

    state = {}
    for node in graph.graph.node:
        if node.op_type == "MatMulInteger":  # the exported MatMul reads the Linear's weight transposed
            state[module(node) + ".weight"] = dequantised(node.input[1].removesuffix(QUANTISED)).T
        elif node.op_type == "MatMul" and node.name.startswith("/head/") and node.input[1] in inits:
            state[module(node) + ".weight"] = inits[node.input[1]].T
    for name, value in inits.items():
        if name.endswith((".bias", "LayerNorm.weight")):
            state[name] = value
        elif name.startswith("bert.embeddings.") and name.endswith(QUANTISED):
            state[name.removesuffix(QUANTISED)] = dequantised(name.removesuffix(QUANTISED))
    return {k: np.array(v, dtype=np.float32, copy=True) for k, v in state.items()}  # writable, for torch


def agreement(model, onnx_path: Path, tokenizer, data: Path, headlines: int = 300) -> tuple[int, int]:
    """(labels equal, mentions) between the torch ``model`` and the int8 graph at ``onnx_path`` on the first
    ``headlines`` SEntFiN headlines (training rows; the test split is never read here)."""
    import onnxruntime as ort
    import torch

    from narrative.nlp.entity_sentiment import locate, span_feed, span_windows

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    same = total = 0
    for title, decisions in read_sentfin(data)[0][:headlines]:
        spans = [locate(title, entity) for entity in decisions]  # as the pipeline finds a mention without offsets
        for ids, read in span_windows(tokenizer, title, spans):
            feed = span_feed(ids, read)  # the inputs the pipeline gives the model
            int8 = session.run(None, feed)[0][0].argmax(-1)
            with torch.inference_mode():
                fp32 = model(**{k: torch.from_numpy(v) for k, v in feed.items()})[0].argmax(-1).numpy()
            same, total = same + int((int8 == fp32).sum()), total + len(read)
    return same, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "entity_sentiment")
    parser.add_argument("--init", type=Path, default=REPO / "models" / "sentiment", help="the architecture's source")
    parser.add_argument("--out", type=Path, default=None, help="default: --model (rewritten in place)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    import onnx
    import torch
    from transformers import AutoModelForSequenceClassification

    from narrative.nlp.entity_sentiment import ONNX_FILE, load_tokenizer

    base = AutoModelForSequenceClassification.from_pretrained(str(args.init), dtype=torch.float32)
    model = build_span_model(base).eval()
    state = rebuilt_weights(onnx.load(str(args.model / ONNX_FILE)))
    expected = model.state_dict()
    unknown = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state))
    if unknown or missing:
        sys.exit(
            f"{args.model / ONNX_FILE}: not an unfused span-model export ({len(missing)} weights missing, e.g. "
            f"{missing[:2]}; {len(unknown)} unknown); re-export from the file as training wrote it."
        )
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    tokenizer = load_tokenizer(args.model, pairs=False)
    same, total = agreement(model, args.model / ONNX_FILE, tokenizer, args.data)
    print(f"rebuilt fp32 against {args.model / ONNX_FILE}: the same label for {same} of {total} mentions")
    out = args.out or args.model
    with tempfile.TemporaryDirectory() as tmp:  # written apart first: the export reads nothing from --model
        export_onnx(model, tokenizer, Path(tmp), span=True)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / ONNX_FILE, out / ONNX_FILE)
    if out != args.model:
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "train_meta.json", "MODEL_CARD.md"):
            shutil.copyfile(args.model / name, out / name)
    graph = onnx.load(str(out / ONNX_FILE))
    print(f"wrote {out / ONNX_FILE}: {len(graph.graph.node)} operators")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
