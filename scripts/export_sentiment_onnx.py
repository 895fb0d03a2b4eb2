"""Export the shipped sentiment model to ONNX and quantise it to int8 for ONNX Runtime.

Writes ``models/sentiment/model.int8.onnx``, which `SentimentModel.load()` uses by default when onnxruntime is
installed. Needs the ``onnx`` package at export time only (`pip install onnx`).

* default, shipped: the fp32 graph exported with eager attention, fused by onnxruntime's transformer optimiser
  (``Attention``, ``EmbedLayerNormalization``, ``SkipLayerNormalization``, ``BiasGelu``), then per-channel
  **dynamic** int8 (the attention becomes ``QAttention``). It picks one activation scale per run, so a text's
  probabilities would move with its batchmates: `SentimentModel` runs it one text per run. Measured 2026-11-30
  against the unfused export (``--no-fuse``, shipped until then): ~4-7% more sentences per CPU-second and, with
  `scripts/eval_sentiment.py`, PhraseBank AllAgree 0.911 / macro-F1 0.892 (was 0.910 / 0.889), 50Agree 0.773 /
  0.737 (0.771 / 0.735), FiQA sentence 0.533 / 0.506 (0.537 / 0.510), FiQA targeted 0.482 / 0.460 (0.485 /
  0.463): every figure within 0.5 point, though about 2% of single labels differ (see the model card). Since
  session 8 the residual Add + LayerNormalization are not fused into ``SkipLayerNormalization`` (slower on this
  CPU than the two operators; ``--skip-layer-norm`` gives the session-7 file byte for byte): +11% sentences per
  CPU-second, every eval figure within 0.1 point.
* ``--static``: per-channel **static** int8 (QDQ). Activation scales are calibrated once here on training text only
  (SEntFiN headlines, twitter_financial_news train tweets and SEntFiN (entity, headline) pairs from
  ``../shared/data/sentiment``; never PhraseBank or FiQA) and stored in the model, and the file says in its
  metadata (``narrative.batch_invariant``) that a text scores the same bits alone or among any batchmates of its
  token count, so `SentimentModel` runs it in equal-length batches (checked: 800 headlines batched, shuffled and
  alone give identical scores). Not shipped: measured 2026-11-30 (`scripts/eval_sentiment.py`), MinMax over 600
  texts gave PhraseBank AllAgree 0.905, 50Agree 0.771, FiQA sentence 0.518, FiQA targeted 0.508 against the
  dynamic model's 0.910 / 0.771 / 0.537 / 0.485 (fp32: 0.909 / 0.771 / 0.535 / 0.494): FiQA sentence -1.9 points,
  outside the project's 0.5-point budget; ``--reduce-range`` (7-bit weights) and leaving attention's
  activation-by-activation products in float did not recover it (0.514 and 0.518); ``Percentile``/``Entropy`` need
  equal-shape calibration batches and were not run.

Usage: python scripts/export_sentiment_onnx.py [--model models/sentiment] [--out PATH] [--no-fuse | --skip-layer-norm]
       [--static [--method MinMax] [--calibration 600] [--reduce-range]]
Shipped model.int8.onnx: ``HF_HUB_OFFLINE=1 .venv/bin/python scripts/export_sentiment_onnx.py`` (needs ``onnx``).
"""

from __future__ import annotations

import argparse
import ast
import csv
import random
import re
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "sentiment"
URL = re.compile(r"https?://\S+")


def first_entity(decisions: str) -> str:
    """The first entity of a SEntFiN ``Decisions`` cell (a dict literal; a few have an unescaped quote)."""
    try:
        return next(iter(ast.literal_eval(decisions)))
    except (SyntaxError, ValueError):
        return decisions.split("': ", 1)[0].lstrip("{'\"")


def calibration_inputs(tokenizer_file: Path, size: int, data: Path = DATA) -> list[dict]:
    """``size`` single-text feeds (half SEntFiN headlines, a quarter tweets) and a quarter (entity, headline) pairs,
    shuffled with a fixed seed; each is one text, unpadded, as the model runs at scoring time."""
    import numpy as np
    from tokenizers import Tokenizer

    rng = random.Random(0)
    with open(data / "sentfin" / "SEntFiN.csv", encoding="utf-8") as fh:
        headlines = list(csv.DictReader(fh))
    with open(data / "twitter_financial_news" / "sent_train.csv", encoding="utf-8") as fh:
        tweets = list(csv.DictReader(fh))
    rng.shuffle(headlines)
    rng.shuffle(tweets)
    texts = [r["Title"] for r in headlines[: size // 2]]
    texts += [URL.sub("", r["text"]).strip() for r in tweets[: size // 4]]
    pairs = [(first_entity(r["Decisions"]), r["Title"]) for r in headlines[size // 2 : size * 3 // 4]]
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    encoded = [tokenizer.encode(t) for t in texts if t] + [tokenizer.encode(e, t) for e, t in pairs]
    return [
        {
            "input_ids": np.array([e.ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(e.ids)), dtype=np.int64),
            "token_type_ids": np.array([e.type_ids], dtype=np.int64),
        }
        for e in encoded
    ]


def fused(fp32: Path, config, skip_layer_norm: bool = False) -> Path:
    """The graph with BERT's attention, embedding and GELU patterns fused into onnxruntime's operators (written next
    to ``fp32``); residual Add + LayerNormalization fused into SkipLayerNormalization only with ``skip_layer_norm``."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_attention = True
    # Residual Add + LayerNormalization stay two operators: onnxruntime's SkipLayerNormalization CPU kernel took ~3x
    # their time (75 against 26 us on 28 x 384, onnxruntime 1.32), ~13% of a sentence's CPU. The runtime session
    # keeps onnxruntime from fusing them back (narrative.nlp.sentiment_runtime.UNFUSED_OPTIMIZERS).
    options.enable_skip_layer_norm = skip_layer_norm
    options.enable_bias_skip_layer_norm = skip_layer_norm
    graph = optimizer.optimize_model(
        str(fp32),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
        optimization_options=options,
        opt_level=1,
    )
    print("fused:", {k: v for k, v in graph.get_fused_operator_statistics().items() if v})
    path = fp32.with_name("model.fused.onnx")
    graph.save_model_to_file(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "sentiment"))
    parser.add_argument("--out", default=None, help="default: MODEL/model.int8.onnx")
    parser.add_argument("--method", default="MinMax", choices=["MinMax", "Percentile", "Entropy"])
    parser.add_argument("--calibration", type=int, default=600, help="calibration texts (default 600)")
    parser.add_argument("--reduce-range", action="store_true", help="7-bit weights (no u8s8 saturation on AVX2)")
    parser.add_argument(
        "--static", action="store_true", help="static int8 (batches at scoring time; see the docstring)"
    )
    parser.add_argument(
        "--no-fuse", action="store_true", help="no attention/layer-norm fusion before int8 (the model shipped before)"
    )
    parser.add_argument(
        "--skip-layer-norm",
        action="store_true",
        help="also fuse residual Add + LayerNormalization into SkipLayerNormalization (the file shipped in session 7)",
    )
    args = parser.parse_args()
    import onnx
    import torch
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = Path(args.model)
    out = Path(args.out) if args.out else model_dir / "model.int8.onnx"
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    fuse = not args.no_fuse and not args.static
    # The optimiser recognises attention in the eager graph (softmax(QK^T/sqrt(d) + mask) V), not in SDPA's.
    attention = {"attn_implementation": "eager"} if fuse else {}
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32, **attention).eval()
    sample = tokenizer(
        ["Alibaba", "Profit rose."], ["Alibaba beat estimates.", "Shares fell."], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                tuple(sample[n] for n in names),
                str(fp32),
                input_names=names,
                output_names=["logits"],
                opset_version=17,
                dynamo=False,
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}},
            )
        if fuse:
            fp32 = fused(fp32, model.config, args.skip_layer_norm)
        if not args.static:
            # The fused operators (com.microsoft domain) have no ONNX shape inference: their outputs are float.
            extra = {"DefaultTensorType": onnx.TensorProto.FLOAT} if fuse else {}
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True, extra_options=extra)
            quantized = onnx.load(str(out))
            graph = "eager attention fused by onnxruntime.transformers" if fuse else "unfused (SDPA export)"
            if fuse and not args.skip_layer_norm:
                graph += " (residual Add + LayerNormalization left apart)"
            onnx.helper.set_model_props(quantized, {"narrative.export": f"{graph}, per-channel dynamic int8"})
            onnx.save(quantized, str(out))
        else:
            feeds = calibration_inputs(model_dir / "tokenizer.json", args.calibration)

            class Reader(CalibrationDataReader):
                def __init__(self) -> None:
                    self.feeds = iter(feeds)

                def get_next(self):
                    return next(self.feeds, None)

            quantize_static(
                str(fp32),
                str(out),
                Reader(),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul", "Gemm", "Gather"],
                calibrate_method=getattr(CalibrationMethod, args.method),
                reduce_range=args.reduce_range,
                extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
            )
            quantized = onnx.load(str(out))
            onnx.helper.set_model_props(
                quantized,
                {
                    "narrative.batch_invariant": "1",
                    "narrative.calibration": f"{args.method}, {len(feeds)} texts (SEntFiN, twitter_financial_news)",
                },
            )
            onnx.save(quantized, str(out))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
