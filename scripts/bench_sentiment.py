#!/usr/bin/env python
"""Throughput of the shipped sentiment model: SentimentModel.score (sorted, batched) against a
naive baseline measured in the same run (transformers ``pipeline("text-classification")``
called one sentence at a time).

Sentences (~2,000) are read at run time from the demo feeds and the headlines_2020 /
FNSPID news files under ``--data`` (nothing is stored in the repo).

Example::

    .venv/bin/python scripts/bench_sentiment.py                 # CPU, all cores
    .venv/bin/python scripts/bench_sentiment.py --quantize      # also time dynamic int8
    .venv/bin/python scripts/bench_sentiment.py --device cuda   # GPU: bf16, batch 512
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from narrative.nlp.sentiment import SentimentModel  # noqa: E402
from train_sentiment import unlabelled_sentences  # noqa: E402


def timed(fn, n: int) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return n / (time.perf_counter() - start), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=str(REPO / "models/sentiment"))
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data")
    ap.add_argument("-n", type=int, default=2000, help="sentences for the batched runs")
    ap.add_argument("--baseline-n", type=int, default=500, help="sentences for the one-at-a-time pipeline")
    ap.add_argument("--batch-size", type=int, default=None, help="default 64 on CPU, 512 on CUDA")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--quantize", action="store_true", help="also time dynamic int8 (CPU)")
    args = ap.parse_args(argv)

    cuda = args.device.startswith("cuda")
    batch = args.batch_size or (512 if cuda else 64)
    texts = unlabelled_sentences(args.data.resolve(), seed=1, limit=args.n)
    while len(texts) < args.n:
        texts += texts[: args.n - len(texts)]
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} sentences, {words:.1f} words on average; device {args.device}, "
          f"threads {args.threads or os.cpu_count()}, batch {batch}")

    model = SentimentModel.load(args.model, device=args.device, threads=args.threads)
    model.score(texts[:batch])  # warm-up
    if cuda:
        torch.cuda.synchronize()
    fast, scores = timed(lambda: model.score(texts, batch_size=batch), len(texts))
    kind = "bf16" if cuda else model.backend
    print(f"SentimentModel.score (batched, {kind}): {fast:8.1f} sentences/s")
    if model.backend != "torch":
        reference = SentimentModel.load(args.model, device=args.device, threads=args.threads, backend="torch")
        reference.score(texts[:batch])
        torch_rate, torch_scores = timed(lambda: reference.score(texts, batch_size=batch), len(texts))
        agree = sum(a.label == b.label for a, b in zip(scores, torch_scores)) / len(texts)
        print(f"SentimentModel.score (batched, torch fp32): {torch_rate:8.1f} sentences/s "
              f"(labels agree with {kind} on {agree:.1%})")

    from transformers import pipeline

    pipe = pipeline("text-classification", model=args.model, device=0 if cuda else -1,
                    dtype=torch.bfloat16 if cuda else torch.float32, top_k=None)
    sample = texts[: args.baseline_n]
    pipe(sample[0])  # warm-up
    naive, _ = timed(lambda: [pipe(t) for t in sample], len(sample))
    print(f"pipeline, one sentence at a time:       {naive:8.1f} sentences/s  (n={len(sample)})")
    print(f"speed-up: {fast / naive:.1f}x")

    if args.quantize and not cuda:
        qmodel = SentimentModel.load(args.model, quantize=True, threads=args.threads)
        qmodel.score(texts[:batch])
        qfast, qscores = timed(lambda: qmodel.score(texts, batch_size=batch), len(texts))
        agree = sum(a.label == b.label for a, b in zip(scores, qscores)) / len(texts)
        print(f"SentimentModel.score (batched, int8):   {qfast:8.1f} sentences/s  "
              f"({qfast / naive:.1f}x baseline; labels agree with fp32 on {agree:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
