#!/usr/bin/env python
"""Fine-tune the shipped sentence model into an entity-level sentiment model on SEntFiN (issue 10 item 4).

Input: the text pair (entity, sentence with that entity wrapped in ``<< >>``), encoded by
``narrative.nlp.entity_sentiment.encode_targets`` (the same code the pipeline runs). Labels: SEntFiN 1.0's
per-entity ``Decisions`` (MIT). Nothing else is read: no Financial PhraseBank, FiQA or other evaluation data.

Split (fixed, by headline): the held-out TEST headlines are exactly the 10% that
``scripts/train_sentiment.py`` held out with its seed 0 (the shipped sentence model, our starting point, never
trained on them); any headline whose text also occurs in the test part is dropped from training. A further
seeded 5% of the remaining headlines is the validation set that picks the epoch. The test split is only read
by ``scripts/eval_entity_sentiment.py``.

Writes ``--out`` (default ``models/entity_sentiment``): ``model.int8.onnx`` (per-channel dynamic int8),
``config.json``, ``tokenizer.json``, ``tokenizer_config.json``, ``train_meta.json`` and ``MODEL_CARD.md``; the
fp32 checkpoint goes to ``--work`` (not shipped).

Example::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/train_entity_sentiment.py
    .venv/bin/python scripts/eval_entity_sentiment.py --card
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import logging
import math
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from narrative.nlp.entity_sentiment import encode_targets, load_tokenizer  # noqa: E402

LABELS = ["negative", "neutral", "positive"]
L2I = {name: i for i, name in enumerate(LABELS)}
SPLIT_SEED = 0  # = scripts/train_sentiment.py's seed: its 10% dev headlines are our test headlines
TEST_FRAC = 0.1
log = logging.getLogger("train_entity_sentiment")


# ----------------------------------------------------------------------------------- data
def read_sentfin(data: Path) -> tuple[list[tuple[str, dict[str, str]]], int]:
    """(headline, {entity: label}) in file order, and how many rows have a malformed Decisions dict."""
    heads, malformed = [], 0
    with open(data / "sentiment/sentfin/SEntFiN.csv", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            try:
                decisions = ast.literal_eval(rec["Decisions"])
                assert isinstance(decisions, dict) and decisions
                assert all(v in L2I for v in decisions.values())
            except (ValueError, SyntaxError, AssertionError):  # an apostrophe in a quoted key: "'Moody's': ..."
                malformed += 1
                continue
            heads.append((rec["Title"].strip(), decisions))
    return heads, malformed


def split_sentfin(data: Path, val_frac: float = 0.05, seed: int = 0):
    """Return (train, val, test, info). Rows are dicts: headline, entity, label (0-2), disagree (bool).

    ``test`` reproduces train_sentiment.py's seed-0 dev draw exactly (same parse, same shuffle).
    """
    heads, malformed = read_sentfin(data)
    order = list(range(len(heads)))
    random.Random(SPLIT_SEED).shuffle(order)
    test_ids = set(order[: int(len(heads) * TEST_FRAC)])
    test_text = {heads[i][0].casefold() for i in test_ids}
    rest = [i for i in range(len(heads)) if i not in test_ids and heads[i][0].casefold() not in test_text]
    dropped = len(heads) - len(test_ids) - len(rest)
    random.Random(seed + 1).shuffle(rest)
    val_ids = set(rest[: int(len(rest) * val_frac)])
    val_text = {heads[i][0].casefold() for i in val_ids}

    def rows(ids):
        out = []
        for i in sorted(ids):
            title, decisions = heads[i]
            disagree = len(set(decisions.values())) > 1
            out += [
                {"headline": title, "entity": e, "label": L2I[lab], "disagree": disagree}
                for e, lab in decisions.items()
            ]
        return out

    train_ids = [i for i in rest if i not in val_ids and heads[i][0].casefold() not in val_text]
    info = {
        "headlines": len(heads),
        "malformed_skipped": malformed,
        "test_headlines": len(test_ids),
        "val_headlines": len(val_ids),
        "train_headlines": len(train_ids),
        "train_dropped_same_text_as_test": dropped,
    }
    return rows(train_ids), rows(val_ids), rows(test_ids), info


# ---------------------------------------------------------------------------------- model
def encode(tokenizer, rows):
    return encode_targets(tokenizer, [(r["headline"], r["entity"], None, None) for r in rows])


def collate(batch, pad_id):
    import torch

    n = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    types = torch.zeros((len(batch), n), dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.long)
    for i, (a, t) in enumerate(batch):
        ids[i, : len(a)], types[i, : len(t)], mask[i, : len(a)] = torch.tensor(a), torch.tensor(t), 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def predict(model, encoded, pad_id, batch_size=128) -> list[int]:
    import torch

    model.eval()
    order = sorted(range(len(encoded)), key=lambda j: len(encoded[j][0]))
    out = [0] * len(encoded)
    with torch.inference_mode():
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            pred = model(**collate([encoded[j] for j in idx], pad_id)).logits.argmax(-1).tolist()
            for j, p in zip(idx, pred):
                out[j] = p
    return out


def metrics(gold: list[int], pred: list[int]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, average="macro", labels=[0, 1, 2])), 4),
    }


def export_onnx(model, tokenizer, out: Path) -> None:
    """Per-channel dynamic int8 ONNX, as scripts/export_sentiment_onnx.py does for the sentence model."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sample = collate(
        encode_targets(
            tokenizer,
            [("Acme beat estimates.", "Acme", 0, 4), ("Shares of Globex fell while Acme rose.", "Globex", None, None)],
        ),
        0,
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model.eval(),
                tuple(sample[n] for n in names),
                str(fp32),
                input_names=names,
                output_names=["logits"],
                opset_version=17,
                dynamo=False,
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}},
            )
        quantize_dynamic(str(fp32), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8, per_channel=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data", help="data root (default ../shared/data)")
    ap.add_argument("--init", type=Path, default=REPO / "models/sentiment", help="sentence model to start from")
    ap.add_argument("--out", type=Path, default=REPO / "models/entity_sentiment")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "entity_sentiment_fp32")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core machine)")
    ap.add_argument("--val-frac", type=float, default=0.05)
    ap.add_argument("--single-frac", type=float, default=1.0, help="share of one-entity headlines trained on")
    ap.add_argument("--disagree-extra", type=int, default=1, help="extra copies of pairs from mixed headlines")
    ap.add_argument(
        "--freeze-layers",
        type=int,
        default=2,
        help="freeze the embeddings and the first N encoder layers (-1: train everything)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup, set_seed

    started = time.time()
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    tokenizer = load_tokenizer(args.init)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(args.init), num_labels=3, id2label=dict(enumerate(LABELS)), label2id=L2I, dtype=torch.float32
    )
    if args.freeze_layers >= 0:  # the embeddings are half the weights: freezing them halves the optimiser's work
        for name, param in model.named_parameters():
            layer = name.split("encoder.layer.")[1].split(".")[0] if "encoder.layer." in name else None
            if "embeddings" in name or (layer is not None and int(layer) < args.freeze_layers):
                param.requires_grad = False

    train, val, test, info = split_sentfin(args.data.resolve(), args.val_frac, args.seed)
    disagree = [r for r in train if r["disagree"]]
    # Pairs from one-entity headlines teach little the sentence model does not know: a seeded sample of them
    # (--single-frac) keeps a run short on 2 shared cores; every multi-entity pair is kept.
    per_headline = Counter(r["headline"] for r in train)
    sample = random.Random(args.seed + 2)
    kept = [
        r
        for r in train
        if args.single_frac >= 1 or per_headline[r["headline"]] > 1 or sample.random() < args.single_frac
    ]
    rows = kept + disagree * args.disagree_extra
    counts = np.bincount([r["label"] for r in rows], minlength=3)
    info.update(
        train_pairs=len(train),
        train_pairs_kept=len(kept),
        train_rows=len(rows),
        val_pairs=len(val),
        test_pairs=len(test),
        train_disagree_pairs=len(disagree),
        train_labels={LABELS[i]: int(c) for i, c in enumerate(counts)},
    )
    log.info("data: %s", json.dumps(info))

    enc_train, enc_val = encode(tokenizer, rows), encode(tokenizer, val)
    y = torch.tensor([r["label"] for r in rows])
    pad_id = tokenizer.token_to_id("[PAD]") or 0
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(len(rows) / (3 * counts), dtype=torch.float32))
    steps = args.epochs * math.ceil(len(rows) / args.batch_size)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    rng = random.Random(args.seed)
    history, best, best_state = [], None, None
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = list(range(len(rows)))
        rng.shuffle(order)
        chunk = args.batch_size * 50  # sort by length inside chunks: less padding, still shuffled
        batches = []
        for i in range(0, len(order), chunk):
            part = sorted(order[i : i + chunk], key=lambda j: len(enc_train[j][0]))
            batches += [part[k : k + args.batch_size] for k in range(0, len(part), args.batch_size)]
        rng.shuffle(batches)
        total = 0.0
        for b, idx in enumerate(batches, 1):
            loss = loss_fn(model(**collate([enc_train[j] for j in idx], pad_id)).logits, y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            total += loss.item()
            if b % 25 == 0:
                log.info(
                    "epoch %d batch %d/%d loss %.4f (%.0fs)", epoch, b, len(batches), total / b, time.time() - started
                )
        pred = predict(model, enc_val, pad_id)
        m = metrics([r["label"] for r in val], pred)
        dis = [i for i, r in enumerate(val) if r["disagree"]]
        m["disagree_accuracy"] = metrics([val[i]["label"] for i in dis], [pred[i] for i in dis])["accuracy"]
        history.append({"epoch": epoch, **m})
        log.info("epoch %d val %s", epoch, m)
        if best is None or m["macro_f1"] > best["macro_f1"]:
            best = {"epoch": epoch, **m}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)

    args.work.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.work, safe_serialization=True)  # fp32, for re-export; not shipped
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, tokenizer, out)
    model.config.to_json_file(out / "config.json")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(args.init / name, out / name)
    meta = {
        "base": f"{args.init.name} (the shipped sentence model, see models/sentiment/MODEL_CARD.md)",
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k not in ("data", "out", "work", "init")
        },
        "input": "text pair: entity name, sentence with the mention wrapped in << >>; max 64 tokens",
        "data": info,
        "val_history": history,
        "chosen_epoch": best["epoch"],
        "val": best,
        "train_seconds": round(time.time() - started),
        "torch": torch.__version__,
        "reproduce": "HF_HUB_OFFLINE=1 .venv/bin/python scripts/train_entity_sentiment.py "
        + " ".join(public_argv(argv if argv is not None else sys.argv[1:])),
    }
    (out / "train_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_card(out, meta)
    log.info("wrote %s in %.0fs; val %s", out, time.time() - started, best)
    return 0


def public_argv(argv: list[str]) -> list[str]:
    """argv without --out/--work/--data (the card shows the command for the default paths)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--out", "--work", "--data"):
            skip = True
        elif not arg.startswith(("--out=", "--work=", "--data=")):
            out.append(arg)
    return out


CARD_EVAL_MARK = "<!-- eval results: written by scripts/eval_entity_sentiment.py --card -->"


def write_card(out: Path, meta: dict) -> None:
    d, s = meta["data"], meta["settings"]
    variants = ""
    if meta.get("variants_tried"):
        variants = "\n## Variants tried\n\n" + "\n".join(f"* {line}" for line in meta["variants_tried"]) + "\n"
    card = f"""# narrative entity sentiment (MiniLM-L6, 3 classes, per entity)

The tone of a sentence **toward one entity named in it** (negative / neutral / positive), so that
"Infosys gains while Wipro slips" is positive for Infosys and negative for Wipro. Fine-tuned from the shipped
sentence model `models/sentiment` (MiniLM-L6 from `sentence-transformers/all-MiniLM-L6-v2`, Apache-2.0).
Input: the text pair (entity name, sentence with the mention wrapped in `<< >>`), max 64 tokens; see
`narrative.nlp.entity_sentiment`. Shipped as ONNX per-channel dynamic int8 (`model.int8.onnx`), run with
onnxruntime + tokenizers (no torch at inference); no safetensors are shipped (re-train to get fp32 weights).

## Reproduce

```
{meta["reproduce"].strip()}
.venv/bin/python scripts/eval_entity_sentiment.py --card
```

Deterministic: seeded, fixed shuffles. Training time: {meta["train_seconds"]} s on {s["threads"]} CPU threads
(torch {meta["torch"]}).

## Data (licence: MIT)

**SEntFiN 1.0** (Sinha et al. 2022, "SEntFiN 1.0: Entity-aware sentiment analysis for financial news", JASIST;
MIT licence): {d["headlines"]} headlines parsed, {d["malformed_skipped"]} rows skipped because their `Decisions`
dict is malformed (an apostrophe inside a single-quoted key).

* **Test (held out, by headline)**: {d["test_headlines"]} headlines / {d["test_pairs"]} entities = exactly the 10%
  that `scripts/train_sentiment.py` held out with seed 0, so neither the sentence model nor this one trained on
  them. {d["train_dropped_same_text_as_test"]} other headlines with the same text as a test headline are left out
  of training.
* **Validation** (picks the epoch): a seeded {s["val_frac"]:.0%} of the remaining headlines, {d["val_headlines"]}
  headlines / {d["val_pairs"]} entities.
* **Train**: {d["train_headlines"]} headlines / {d["train_pairs"]} entity pairs, of which every pair from a
  multi-entity headline and a seeded {s["single_frac"]:.0%} of the one-entity ones are used ({d["train_pairs_kept"]}),
  plus {s["disagree_extra"]} extra copy of the {d["train_disagree_pairs"]} pairs from headlines whose entities
  disagree: {d["train_rows"]} rows, labels {d["train_labels"]}.

No other data set is read: Financial PhraseBank, FiQA and the other evaluation sets are never used for training.

## Training settings

epochs {s["epochs"]} (chosen: {meta["chosen_epoch"]}, best validation macro-F1), lr {s["lr"]} (AdamW, wd 0.01,
linear schedule, 6% warm-up), batch {s["batch_size"]}, balanced class weights, seed {s["seed"]}, frozen: the
embeddings and the first {s["freeze_layers"]} encoder layer(s) (-1: none). Validation per epoch: {meta["val_history"]}.

## Evaluation

{CARD_EVAL_MARK}
{variants}
## Intended use and limits

English financial news sentences and headlines (SEntFiN is Indian business headlines). Not investment advice.
Other languages are not scored by this model (the pipeline labels Chinese sentences with the sentence lexicon
and says so). Sentences longer than 64 tokens lose their tail.
"""
    (out / "MODEL_CARD.md").write_text(card)


if __name__ == "__main__":
    raise SystemExit(main())
