#!/usr/bin/env python
"""Fine-tune the sentence encoder for stance (issue 9), SetFit-style, and export it as a second ONNX graph.

The stance classifier of each narrative (:mod:`narrative.nlp.stance_model`) reads character n-grams and
a sentence vector; the shipped encoder's vectors place a sentence by topic more than by direction. Here a
copy of the encoder (the torch port, :mod:`narrative.nlp.encoder_torch`; the token-embedding table stays
frozen) is trained with a supervised contrastive loss over the narratives' YAML examples: within one
narrative, examples of the same pole (positive / negative / neutral, the pole descriptions included) are
pulled together and the others pushed apart. Batches never mix narratives, since "positive" means
something different in each, so what the encoder learns is direction within a topic, and a new narrative
file is scored without training (its own classifier is fitted on its examples as before).

Only the YAML examples (and the pole texts) train it; the gold dev halves only measure it:

- ``--lono``: for each narrative, train on the other narratives only and measure its classifier's stance
  accuracy on its dev (and dev2, when present) gold-relevant sentences after each epoch (epoch 0 = the
  shipped vectors): the honest test of a brand-new narrative;
- default: train on all narratives for ``--epochs``, print the same figures per epoch (in-narrative:
  the encoder has seen this narrative's examples, not its dev rows), and write
  ``models/narrative_scorer/usem3_stance.onnx`` (unless ``--no-write``).

    nice .venv/bin/python scripts/train_stance_encoder.py [--lono] [--epochs 4] [--lr 3e-5] [--no-write]

Deterministic (seed 0, one torch thread pool of 2); a few minutes on two busy cores.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from export_encoder_onnx import build_graph  # noqa: E402

from narrative.api.score import scoring_context, sentence_sentiment  # noqa: E402
from narrative.catalog import Narrative, load_narratives  # noqa: E402
from narrative.nlp.encoder import graph_inputs, stance_onnx_path  # noqa: E402
from narrative.nlp.narrative_text import scoring_texts  # noqa: E402
from narrative.nlp.stance import stance_label  # noqa: E402
from narrative.nlp.stance_model import ExampleStanceModel, StanceSettings  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "narratives"
LABELS = ("negative", "neutral", "positive")
SPLITS = ("dev", "dev2")


def read_gold(narrative: Narrative, split: str) -> list[dict]:
    """Gold-relevant rows of a narrative's split ([] when the file is absent)."""
    path = GOLD / f"{narrative.id.replace('-', '_')}.{split}.jsonl"
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["relevant"]]


class Data:
    """Per narrative: its examples by label, the pole texts, the gold rows, and every text's polarity."""

    def __init__(self, narratives: list[Narrative]):
        self.narratives = narratives
        self.examples = {n.id: {label: list(getattr(n.examples, label)) for label in LABELS} for n in narratives}
        self.gold = {(n.id, split): read_gold(n, split) for n in narratives for split in SPLITS}
        texts = [t for ex in self.examples.values() for ts in ex.values() for t in ts]
        texts += [r["text"] for rows in self.gold.values() for r in rows]
        model = scoring_context(narratives[0].id).model
        distinct = list(dict.fromkeys(texts))
        self.polarity = dict(zip(distinct, (p for p, _ in sentence_sentiment(model, distinct))))

    def training_rows(self, narrative: Narrative) -> list[tuple[str, int]]:
        rows = [(t, LABELS.index(label)) for label in LABELS for t in self.examples[narrative.id][label]]
        return [*rows, (narrative.poles.negative, 0), (narrative.poles.positive, 2)]


def vectors(model, texts: list[str]) -> np.ndarray:
    import torch

    texts = scoring_texts(texts)
    out = np.empty((len(texts), 512), dtype=np.float32)
    with torch.no_grad():
        for rows, inputs in graph_inputs(texts):
            out[rows] = model(**{k: torch.from_numpy(v) for k, v in inputs.items()}).numpy()
    return out


def stance_accuracy(model, data: Data, narrative: Narrative, settings: StanceSettings) -> dict[str, float]:
    """Accuracy of the narrative's example classifier (on ``model``'s vectors) on its gold splits."""
    examples = data.examples[narrative.id]
    texts = [t for label in LABELS for t in examples[label]]
    classifier = ExampleStanceModel.fit(
        examples, vectors(model, texts), settings, np.array([data.polarity[t] for t in texts])
    )
    out = {}
    for split in SPLITS:
        rows = data.gold[(narrative.id, split)]
        if not rows:
            continue
        gold_texts = [r["text"] for r in rows]
        stance = classifier.stance(
            gold_texts, vectors(model, gold_texts), np.array([data.polarity[t] for t in gold_texts])
        )
        for lang in ("all", "en", "zh"):
            pick = [i for i, r in enumerate(rows) if lang == "all" or r["lang"] == lang]
            hits = sum(stance_label(stance[i]) == rows[i]["stance"] for i in pick)
            out[f"{split}_{lang}"] = hits / len(pick) if pick else float("nan")
    return out


def contrastive_loss(vecs, labels, temperature: float):
    """Supervised contrastive loss (Khosla et al. 2020) over L2-normalised rows of one narrative."""
    import torch

    sim = vecs @ vecs.T / temperature
    eye = torch.eye(len(labels), dtype=torch.bool)
    sim = sim.masked_fill(eye, -1e9)
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    same = (labels[:, None] == labels[None, :]) & ~eye
    has = same.any(dim=1)
    per_row = -(log_prob * same).sum(dim=1)[has] / same.sum(dim=1)[has]
    return per_row.mean()


def train(data: Data, train_on: list[Narrative], args, report=None) -> tuple[object, list[dict]]:
    """Fine-tune a fresh copy of the encoder on ``train_on``'s examples; ``report(model, epoch)`` after each epoch."""
    import torch

    from narrative.nlp.encoder_torch import TorchEncoder, wheel_weights

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = TorchEncoder(wheel_weights())
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    history = [report(model, 0)] if report else []
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = []
        for narrative in train_on:
            rows = data.training_rows(narrative)
            rng.shuffle(rows)
            batches += [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]
        rng.shuffle(batches)
        losses = []
        for batch in batches:
            texts = scoring_texts([t for t, _ in batch])
            labels = torch.tensor([label for _, label in batch])
            parts = [model(**{k: torch.from_numpy(v) for k, v in inputs.items()}) for _, inputs in graph_inputs(texts)]
            loss = contrastive_loss(torch.cat(parts), labels, args.temperature)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        model.eval()
        print(f"  epoch {epoch}: loss {np.mean(losses):.3f}", flush=True)
        if report:
            history.append(report(model, epoch))
    return model, history


def write(model, out: Path, vector_weight: float) -> None:
    """Save the fine-tuned graph, check it gives the torch model's vectors, and name it (with the classifier's
    vector weight) in heads.json's stance settings, so that the scorer's version changes with it."""
    import onnx

    from narrative.nlp.encoder import encode

    onnx.save(build_graph(model.numpy_weights()), str(out))
    texts = ["US tightens export controls on AI chips to China", "阿里巴巴股价上涨", "Capex cut, bubble fears grow."]
    cosine = (encode(texts, path=out) * vectors(model, texts)).sum(axis=1).min()
    if cosine < 0.9999:
        raise SystemExit(f"{out}: the exported graph disagrees with the trained model (cosine {cosine:.5f})")
    heads_path = out.parent / "heads.json"
    heads = json.loads(heads_path.read_text(encoding="utf-8"))
    heads["stance_model"] = {**heads["stance_model"], "vector_weight": vector_weight, "encoder": out.name}
    heads_path.write_text(json.dumps(heads, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and its name in {heads_path}")


def line(name: str, epoch: int, figures: dict[str, float]) -> dict:
    text = " ".join(f"{k} {v:.3f}" for k, v in figures.items())
    print(f"{name} epoch {epoch}: {text}", flush=True)
    return {"narrative": name, "epoch": epoch, **figures}


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lono", action="store_true", help="leave one narrative out: measure, write nothing")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--vector-weights", default="0.5,1,2", help="classifier vector weights to measure")
    parser.add_argument("--vector-weight", type=float, default=0.5, help="the classifier's vector weight to ship")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--out", type=Path, default=stance_onnx_path())
    parser.add_argument("--json", type=Path, help="write the per-epoch figures here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    narratives = load_narratives()
    data = Data(narratives)
    shipped = json.loads((args.out.parent / "heads.json").read_text())["stance_model"]
    weights = [float(w) for w in args.vector_weights.split(",")]

    def reporter(targets: list[Narrative]):
        def report(model, epoch: int) -> list[dict]:
            out = []
            for weight in weights:
                settings = StanceSettings.from_dict({**shipped, "vector_weight": weight})
                for narrative in targets:
                    out.append(
                        line(f"{narrative.id} vw {weight}", epoch, stance_accuracy(model, data, narrative, settings))
                    )
            return out

        return report

    started = time.perf_counter()
    history: list = []
    if args.lono:
        for held in narratives:
            print(f"leave out {held.id}", flush=True)
            others = [n for n in narratives if n.id != held.id]
            history += train(data, others, args, reporter([held]))[1]
    else:
        model, history = train(data, narratives, args, reporter(narratives))
        if not args.no_write:
            write(model, args.out, args.vector_weight)
    print(f"{time.perf_counter() - started:.0f}s", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), "history": history}, indent=1, default=str))


if __name__ == "__main__":
    main()
