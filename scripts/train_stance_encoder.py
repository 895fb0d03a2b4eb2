#!/usr/bin/env python
"""Fine-tune the sentence encoder for stance (issue 9), SetFit-style, and export it as a second ONNX graph.

The stance classifier of each narrative (:mod:`narrative.nlp.stance_model`) reads character n-grams and
a sentence vector; the shipped encoder's vectors place a sentence by topic more than by direction. Here a
copy of the encoder (the torch port, :mod:`narrative.nlp.encoder_torch`; the token-embedding table stays
frozen) is trained on the narratives' YAML examples, one narrative per batch (a pole means something else
in each), so what it learns is direction within a topic and a new narrative file still needs no training:

- ``--loss supcon``: supervised contrastive loss: examples of the same label (negative / neutral /
  positive, the pole descriptions included) pulled together, the others pushed apart;
- ``--loss poles``: each example against its narrative's three anchor texts (the negative pole, the
  description, which names both sides, for neutral, and the positive pole), a softmax over the cosines:
  English and Chinese examples pulled toward their own pole's words and away from the other's;
- ``--loss both``: the sum.

``--trainable top`` fine-tunes only the layers above the token windows (``TorchEncoder.TOP``, half the
weights) on cached per-text token sums: minutes become seconds. ``--holdout 0.2`` keeps a stratified fifth
of each narrative's examples out of training and reports the classifier's accuracy on them per epoch
(classifier fitted on the rest): the early-stopping signal, no gold row needed. Only YAML examples and
pole texts train it; the gold dev halves and the blind dev2 sets only measure it (held-out halves never):

- ``--lono``: for each narrative, train on the other narratives only and measure its classifier on its
  dev and dev2 gold-relevant sentences after each epoch (epoch 0 = the shipped vectors);
- default: train on all narratives, print the same figures per epoch, and write
  ``models/narrative_scorer/usem3_stance.onnx`` and its name in heads.json (unless ``--no-write``).

    nice -n 10 .venv/bin/python scripts/train_stance_encoder.py [--lono] [--loss poles] [--trainable top]
        [--epochs 4] [--lr 3e-5] [--holdout 0.2] [--no-write]

Deterministic (seed 0, a torch thread pool of 2).
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
SPLITS = ("dev", "dev2")  # gold splits the figures may read (``--gold``); the held-out halves never


def read_gold(narrative: Narrative, split: str) -> list[dict]:
    """Gold-relevant rows of a narrative's split ([] when the file is absent)."""
    path = GOLD / f"{narrative.id.replace('-', '_')}.{split}.jsonl"
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["relevant"]]


def anchors(narrative: Narrative) -> list[str]:
    """The texts each label's examples are pulled toward by ``--loss poles``, in :data:`LABELS` order."""
    return [narrative.poles.negative, narrative.description, narrative.poles.positive]


class Data:
    """Per narrative: its examples by label (those kept for training and those held out), the gold rows,
    and every text's sentiment polarity (cached in ``polarity_cache`` when given)."""

    def __init__(
        self, narratives: list[Narrative], holdout: float, seed: int, polarity_cache: Path | None, splits=SPLITS
    ):
        self.narratives, self.splits = narratives, tuple(splits)
        self.examples, self.held = {}, {}
        for n in narratives:
            rng = random.Random(f"{seed}-{n.id}")
            self.examples[n.id], self.held[n.id] = {}, {}
            for label in LABELS:
                texts = list(getattr(n.examples, label))
                rng.shuffle(texts)
                cut = round(len(texts) * holdout)
                self.held[n.id][label], self.examples[n.id][label] = texts[:cut], texts[cut:]
        self.gold = {(n.id, split): read_gold(n, split) for n in narratives for split in self.splits}
        texts = [t for n in narratives for label in LABELS for t in getattr(n.examples, label)]
        texts += [r["text"] for rows in self.gold.values() for r in rows]
        known = json.loads(polarity_cache.read_text()) if polarity_cache and polarity_cache.is_file() else {}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            model = scoring_context(narratives[0].id).model
            known.update(zip(missing, (p for p, _ in sentence_sentiment(model, missing))))
            if polarity_cache:
                polarity_cache.write_text(json.dumps(known, ensure_ascii=False))
        self.polarity = known

    def training_rows(self, narrative: Narrative) -> list[tuple[str, int]]:
        rows = [(t, LABELS.index(label)) for label in LABELS for t in self.examples[narrative.id][label]]
        return [*rows, (narrative.poles.negative, 0), (narrative.poles.positive, 2)]


class Trainee:
    """The torch encoder being fine-tuned; with ``trainable="top"`` only ``TorchEncoder.TOP`` learns and
    each text's token sums (the frozen layers' output) are computed once."""

    def __init__(self, seed: int, trainable: str):
        import torch

        from narrative.nlp.encoder_torch import TorchEncoder, wheel_weights

        torch.manual_seed(seed)
        self.model = TorchEncoder(wheel_weights())
        self.top_only = trainable == "top"
        if self.top_only:
            for name, parameter in self.model.weights.items():
                parameter.requires_grad_(name in TorchEncoder.TOP)
        self.sums: dict[str, tuple] = {}

    def parameters(self):
        return [p for p in self.model.parameters() if p.requires_grad]

    def __call__(self, texts: list[str]):
        """L2-normalised vectors (a torch tensor, with gradients while training) of ``texts``."""
        import torch

        texts = scoring_texts(texts)
        if not self.top_only:
            parts = [self.model(**{k: torch.from_numpy(v) for k, v in x.items()}) for _, x in graph_inputs(texts)]
            return torch.cat(parts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.sums]
        with torch.no_grad():
            for rows, x in graph_inputs(missing):
                sums = self.model.token_sums(*(torch.from_numpy(x[k]) for k in ("emb", "window", "segments")))
                for i, text in enumerate(missing[rows]):
                    self.sums[text] = (sums[i], torch.from_numpy(x["root_lens"][i]))
        sums, root_lens = zip(*(self.sums[t] for t in texts))
        return self.model.top(torch.stack(sums), torch.stack(root_lens))

    def vectors(self, texts: list[str]) -> np.ndarray:
        import torch

        self.model.eval()
        with torch.no_grad():
            return np.concatenate([self(texts[i : i + 256]).numpy() for i in range(0, len(texts), 256)])


def accuracy(stance: np.ndarray, labels: list[str], langs: list[str], prefix: str) -> dict[str, float]:
    out = {}
    for lang in ("all", "en", "zh"):
        pick = [i for i, g in enumerate(langs) if lang == "all" or g == lang]
        if pick:
            out[f"{prefix}_{lang}"] = sum(stance_label(stance[i]) == labels[i] for i in pick) / len(pick)
    return out


def stance_accuracy(trainee: Trainee, data: Data, narrative: Narrative, settings: StanceSettings) -> dict[str, float]:
    """Accuracy of the narrative's example classifier (on ``trainee``'s vectors) on its held-out
    examples ("held", when ``--holdout``) and its gold splits."""
    examples = data.examples[narrative.id]
    texts = [t for label in LABELS for t in examples[label]]
    classifier = ExampleStanceModel.fit(
        examples, trainee.vectors(texts), settings, np.array([data.polarity[t] for t in texts])
    )

    def judge(texts: list[str]) -> np.ndarray:
        return classifier.stance(texts, trainee.vectors(texts), np.array([data.polarity[t] for t in texts]))

    anchor_vecs = trainee.vectors(anchors(narrative))

    def nearest_anchor(texts: list[str]) -> np.ndarray:
        # the pole loss's own reading, no classifier: -1 / 0 / +1 by the most similar anchor text
        return (trainee.vectors(texts) @ anchor_vecs.T).argmax(axis=1) - 1.0

    out = {}
    held = [(t, label) for label in LABELS for t in data.held[narrative.id][label]]
    if held:
        texts, labels = [t for t, _ in held], [label for _, label in held]
        langs = ["zh" if any("\u4e00" <= c <= "\u9fff" for c in t) else "en" for t in texts]
        out.update(accuracy(judge(texts), labels, langs, "held"))
        out.update(accuracy(nearest_anchor(texts), labels, langs, "held_anchor"))
    for split in data.splits:
        rows = data.gold[(narrative.id, split)]
        if rows:
            texts, labels, langs = [r["text"] for r in rows], [r["stance"] for r in rows], [r["lang"] for r in rows]
            out.update(accuracy(judge(texts), labels, langs, split))
            out.update(accuracy(nearest_anchor(texts), labels, langs, f"{split}_anchor"))
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


def pole_loss(vecs, labels, anchor_vecs, temperature: float):
    """Cross-entropy of a softmax over each row's cosines to the three anchors (negative pole,
    description, positive pole): the row's own label's anchor is the right answer."""
    import torch

    return torch.nn.functional.cross_entropy(vecs @ anchor_vecs.T / temperature, labels)


def train(data: Data, train_on: list[Narrative], args, report=None) -> tuple[Trainee, list]:
    """Fine-tune a fresh copy of the encoder on ``train_on``'s examples; ``report(trainee, epoch)`` after each epoch."""
    import torch

    trainee = Trainee(args.seed, args.trainable)
    rng = random.Random(args.seed)
    optimiser = torch.optim.AdamW(trainee.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    history = [report(trainee, 0)] if report else []
    for epoch in range(1, args.epochs + 1):
        trainee.model.train()
        batches = []
        for narrative in train_on:
            rows = data.training_rows(narrative)
            rng.shuffle(rows)
            batches += [(narrative, rows[i : i + args.batch]) for i in range(0, len(rows), args.batch)]
        rng.shuffle(batches)
        losses = []
        for narrative, batch in batches:
            labels = torch.tensor([label for _, label in batch])
            vecs = trainee([t for t, _ in batch])
            loss = vecs.new_zeros(())
            if args.loss in ("supcon", "both"):
                loss = loss + contrastive_loss(vecs, labels, args.temperature)
            if args.loss in ("poles", "both"):
                anchor_vecs = trainee(anchors(narrative))
                loss = loss + args.pole_weight * pole_loss(vecs, labels, anchor_vecs, args.pole_temperature)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        print(f"  epoch {epoch}: loss {np.mean(losses):.3f}", flush=True)
        if report:
            history.append(report(trainee, epoch))
    return trainee, history


def write(trainee: Trainee, out: Path, vector_weight: float) -> None:
    """Save the fine-tuned graph, check it gives the torch model's vectors, and name it (with the classifier's
    vector weight) in heads.json's stance settings, so that the scorer's version changes with it."""
    import onnx

    from narrative.nlp.encoder import encode

    onnx.save(build_graph(trainee.model.numpy_weights()), str(out))
    texts = ["US tightens export controls on AI chips to China", "阿里巴巴股价上涨", "Capex cut, bubble fears grow."]
    cosine = (encode(texts, path=out) * trainee.vectors(texts)).sum(axis=1).min()
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
    parser.add_argument("--loss", choices=["supcon", "poles", "both"], default="supcon")
    parser.add_argument("--trainable", choices=["all", "top"], default="all")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--temperature", type=float, default=0.1, help="of the supervised contrastive loss")
    parser.add_argument("--pole-temperature", type=float, default=0.05, help="of the softmax over the anchors")
    parser.add_argument("--pole-weight", type=float, default=1.0, help="of the pole loss in --loss both")
    parser.add_argument("--holdout", type=float, default=0.0, help="fraction of each label's examples held out")
    parser.add_argument("--vector-weights", default="0.5", help="classifier vector weights to measure")
    parser.add_argument("--vector-weight", type=float, default=0.5, help="the classifier's vector weight to ship")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--out", type=Path, default=stance_onnx_path())
    parser.add_argument("--polarity-cache", type=Path, help="JSON of text -> sentiment polarity, reused if present")
    parser.add_argument("--json", type=Path, help="write the per-epoch figures here")
    parser.add_argument("--gold", default="dev,dev2", help="gold splits to measure (of: dev, dev2)")
    args = parser.parse_args()
    if args.holdout and not (args.no_write or args.lono):
        parser.error("--holdout trains on part of the examples: measure with --no-write, then ship without it")
    torch.set_num_threads(2)
    narratives = load_narratives()
    splits = [s for s in args.gold.split(",") if s]
    if set(splits) - set(SPLITS):
        parser.error(f"--gold: one of {', '.join(SPLITS)}")
    data = Data(narratives, args.holdout, args.seed, args.polarity_cache, splits)
    shipped = json.loads((args.out.parent / "heads.json").read_text())["stance_model"]
    weights = [float(w) for w in args.vector_weights.split(",")]

    def reporter(targets: list[Narrative]):
        def report(trainee: Trainee, epoch: int) -> list[dict]:
            out = []
            for weight in weights:
                settings = StanceSettings.from_dict({**shipped, "vector_weight": weight, "encoder": ""})
                for narrative in targets:
                    figures = stance_accuracy(trainee, data, narrative, settings)
                    out.append(line(f"{narrative.id} vw {weight}", epoch, figures))
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
        trainee, history = train(data, narratives, args, reporter(narratives))
        if not args.no_write:
            write(trainee, args.out, args.vector_weight)
    print(f"{time.perf_counter() - started:.0f}s", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), "history": history}, indent=1, default=str))


if __name__ == "__main__":
    main()
