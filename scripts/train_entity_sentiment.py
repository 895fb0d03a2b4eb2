#!/usr/bin/env python
"""Fine-tune the shipped sentence model into an entity-level sentiment model on SEntFiN (issue 10 item 4).

Two variants (``--variant``), both encoded by ``narrative.nlp.entity_sentiment`` (the same code the pipeline runs):

* ``span`` (default, shipped since issue 12): the sentence alone, read once for every entity in it
  (``span_windows``: each entity's characters -> its tokens); a small head reads the mean of each entity's token
  states, an attention over the sentence queried by that mean, and [CLS], and adds its logits to the sentence
  model's own head. One model run per sentence instead of one per (sentence, entity).
* ``pair`` (issue 10): the text pair (entity, sentence with that entity wrapped in ``<< >>``, ``encode_targets``).

Labels: SEntFiN 1.0's per-entity ``Decisions`` (MIT). Nothing else is read: no Financial PhraseBank, FiQA or other
evaluation data.

Split (fixed, by headline): the held-out TEST headlines are exactly the 10% that
``scripts/train_sentiment.py`` held out with its seed 0 (the shipped sentence model, our starting point, never
trained on them); any headline whose text also occurs in the test part is dropped from training. A further
seeded 5% of the remaining headlines is the validation set that picks the epoch. The test split is only read
by ``scripts/eval_entity_sentiment.py``.

Writes ``--out`` (default ``models/entity_sentiment``): ``model.int8.onnx`` (fused, per-channel dynamic int8),
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

from narrative.nlp.entity_sentiment import encode_targets, load_tokenizer, locate, span_windows  # noqa: E402

LABELS = ["negative", "neutral", "positive"]
INPUTS = {
    "span": "the sentence alone, read once for all its mentions: the encoder's token states pooled over each "
    "mention's tokens (mean), an attention from that mean over the sentence, and [CLS], into a small fp32 head "
    "whose logits add to the sentence head's; windows of 64 tokens",
    "pair": "text pair: entity name, sentence with the mention wrapped in << >>; max 64 tokens",
}
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
                {"hid": i, "headline": title, "entity": e, "label": L2I[lab], "disagree": disagree}
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


def span_examples(tokenizer, rows) -> list[dict]:
    """The span variant's training examples: one per model run (a headline, or a window of a long one) holding
    every entity of that headline: token ids, and per entity (first token, end token, label, row index)."""
    by_headline: dict[int, list[int]] = {}
    for j, r in enumerate(rows):
        by_headline.setdefault(r["hid"], []).append(j)
    out = []
    for members in by_headline.values():
        head = rows[members[0]]["headline"]
        spans = [locate(head, rows[j]["entity"]) for j in members]
        for ids, read in span_windows(tokenizer, head, spans):
            mentions = [(first, end, rows[members[m]]["label"], members[m]) for m, first, end in read]
            out.append({"ids": ids, "mentions": mentions, "disagree": rows[members[0]]["disagree"]})
    return out


def collate_span(batch, pad_id):
    import torch

    n, m = max(len(e["ids"]) for e in batch), max(len(e["mentions"]) for e in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.long)
    spans = torch.zeros((len(batch), m, n), dtype=torch.float32)
    labels = torch.full((len(batch), m), -100, dtype=torch.long)  # -100: no mention in this slot
    for i, e in enumerate(batch):
        ids[i, : len(e["ids"])], mask[i, : len(e["ids"])] = torch.tensor(e["ids"]), 1
        for k, (first, end, label, _) in enumerate(e["mentions"]):
            spans[i, k, first:end], labels[i, k] = 1.0, label
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids), "span_mask": spans}
    return inputs, labels


def build_span_model(base, inner: int = 256):
    """The one-pass-per-sentence model around a BertForSequenceClassification ``base`` (the sentence model):
    logits per mention = the sentence head's logits (the sentence's tone, from [CLS]) + a correction read from the
    mention: mean of its token states, an attention over the sentence queried by that mean, and the [CLS] state.
    The correction starts near zero, so training starts from the sentence model's answer. Every op that sees
    ``span_mask`` lives under ``head`` (the ONNX export leaves those unquantised: see export_onnx)."""
    import torch
    from torch import nn

    class SpanHead(nn.Module):
        def __init__(self, hidden: int) -> None:
            super().__init__()
            self.query, self.key = nn.Linear(hidden, inner), nn.Linear(hidden, inner)
            self.mix, self.out = nn.Linear(3 * hidden, hidden), nn.Linear(hidden, 3)
            self.dropout = nn.Dropout(0.1)
            nn.init.normal_(self.out.weight, std=1e-3)
            nn.init.zeros_(self.out.bias)

        def forward(self, states, attention_mask, span_mask):
            span = span_mask @ states / span_mask.sum(-1, keepdim=True).clamp(min=1.0)  # (B, M, H)
            scores = self.query(span) @ self.key(states).transpose(1, 2) / inner**0.5  # (B, M, T)
            scores = scores + (1.0 - attention_mask[:, None, :].to(scores.dtype)) * -1e4
            context = torch.softmax(scores, dim=-1) @ states
            cls = states[:, :1, :].expand(-1, span.shape[1], -1)
            mixed = self.mix(self.dropout(torch.cat([span, context, cls], dim=-1)))
            return self.out(self.dropout(nn.functional.gelu(mixed)))

    class SpanSentiment(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert, self.dropout, self.classifier = base.bert, base.dropout, base.classifier
            self.config = base.config
            self.head = SpanHead(base.config.hidden_size)

        def forward(self, input_ids, attention_mask, token_type_ids, span_mask):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            sentence = self.classifier(self.dropout(out.pooler_output))  # (B, 3)
            return sentence[:, None, :] + self.head(out.last_hidden_state, attention_mask, span_mask)

    return SpanSentiment()


def predict_span(model, examples, n_rows: int, pad_id: int, batch_size: int = 64) -> list[int]:
    """Predicted label per row (rows not in any example keep 1, neutral)."""
    import torch

    model.eval()
    order = sorted(range(len(examples)), key=lambda j: len(examples[j]["ids"]))
    out = [1] * n_rows
    with torch.inference_mode():
        for k in range(0, len(order), batch_size):
            batch = [examples[j] for j in order[k : k + batch_size]]
            inputs, _ = collate_span(batch, pad_id)
            pred = model(**inputs).argmax(-1).tolist()
            for e, row in zip(batch, pred):
                for (_, _, _, r), p in zip(e["mentions"], row):
                    out[r] = p
    return out


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


def export_onnx(model, tokenizer, out: Path, span: bool = False) -> None:
    """Per-channel dynamic int8 ONNX, as scripts/export_sentiment_onnx.py does for the sentence model: exported with
    eager attention, BERT's attention, embedding and GELU patterns fused by onnxruntime's optimiser
    (``export_sentiment_onnx.fused``; residual Add + LayerNormalization left apart), then quantised. The span
    model's head (every op reading ``span_mask``) stays fp32: dynamic int8 would set its activation scale from all
    the mentions of a run, so a mention's score would move with the other mentions of its sentence."""
    import onnx
    import torch
    from export_sentiment_onnx import fused  # scripts/ is on sys.path when a script runs
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The optimiser recognises attention in the eager graph (softmax(QK^T/sqrt(d) + mask) V), not in SDPA's: the
    # SDPA export of this model had 881 operators against 195 fused (+25% mentions per CPU-second, session 10).
    (model.bert if span else model).set_attn_implementation("eager")

    names = ["input_ids", "attention_mask", "token_type_ids"]
    if span:
        head = "Shares of Globex fell while Acme rose."
        sample, _ = collate_span(
            span_examples(
                tokenizer,
                [
                    {"hid": 0, "headline": "Acme beat estimates.", "entity": "Acme", "label": 2, "disagree": False},
                    {"hid": 1, "headline": head, "entity": "Globex", "label": 0, "disagree": True},
                    {"hid": 1, "headline": head, "entity": "Acme", "label": 2, "disagree": True},
                ],
            ),
            0,
        )
        names.append("span_mask")
        axes = {
            **{n: {0: "batch", 1: "tokens"} for n in names[:3]},
            "span_mask": {0: "batch", 1: "mentions", 2: "tokens"},
        }
        axes["logits"] = {0: "batch", 1: "mentions"}
    else:
        sample = collate(
            encode_targets(
                tokenizer,
                [
                    ("Acme beat estimates.", "Acme", 0, 4),
                    ("Shares of Globex fell while Acme rose.", "Globex", None, None),
                ],
            ),
            0,
        )
        axes = {**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}}
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
                dynamic_axes=axes,
            )
        fp32 = fused(fp32, model.config)
        keep = [n.name for n in onnx.load(str(fp32)).graph.node if n.name.startswith("/head/")] if span else []
        quantize_dynamic(
            str(fp32),
            str(out / "model.int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=keep,
            # the fused operators (com.microsoft domain) have no ONNX shape inference: their outputs are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data", help="data root (default ../shared/data)")
    ap.add_argument("--init", type=Path, default=REPO / "models/sentiment", help="sentence model to start from")
    ap.add_argument("--out", type=Path, default=REPO / "models/entity_sentiment")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "entity_sentiment_fp32")
    ap.add_argument(
        "--variant",
        choices=["span", "pair"],
        default="span",
        help="span: one pass per sentence, pooled over each mention's tokens; pair: (entity, marked sentence)",
    )
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--head-lr", type=float, default=5e-4, help="span variant: learning rate of the new head")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop training after this long (0: no limit)")
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
    span = args.variant == "span"
    tokenizer = load_tokenizer(args.init, pairs=not span)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(args.init), num_labels=3, id2label=dict(enumerate(LABELS)), label2id=L2I, dtype=torch.float32
    )
    if span:
        model = build_span_model(model)
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

    pad_id = tokenizer.token_to_id("[PAD]") or 0
    weight = torch.tensor(len(rows) / (3 * counts), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, ignore_index=-100)
    if span:  # one example per headline with all its entities; mixed headlines repeated like their pairs
        examples = span_examples(tokenizer, kept)
        examples += [e for e in examples if e["disagree"]] * args.disagree_extra
        val_examples = span_examples(tokenizer, val)
        info["train_runs"] = len(examples)
        enc_train, enc_val = [(e["ids"], None) for e in examples], []
    else:
        enc_train, enc_val = encode(tokenizer, rows), encode(tokenizer, val)
        y = torch.tensor([r["label"] for r in rows])
    steps = args.epochs * math.ceil(len(enc_train) / args.batch_size)
    params = [p for p in model.parameters() if p.requires_grad]
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    groups = [{"params": body, "lr": args.lr}] + ([{"params": head, "lr": args.head_lr}] if head else [])
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    rng = random.Random(args.seed)
    history, best, best_state = [], None, None
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = list(range(len(enc_train)))
        rng.shuffle(order)
        chunk = args.batch_size * 50  # sort by length inside chunks: less padding, still shuffled
        batches = []
        for i in range(0, len(order), chunk):
            part = sorted(order[i : i + chunk], key=lambda j: len(enc_train[j][0]))
            batches += [part[k : k + args.batch_size] for k in range(0, len(part), args.batch_size)]
        rng.shuffle(batches)
        total = 0.0
        for b, idx in enumerate(batches, 1):
            if span:
                inputs, labels = collate_span([examples[j] for j in idx], pad_id)
                loss = loss_fn(model(**inputs).reshape(-1, 3), labels.reshape(-1))
            else:
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
            if args.max_minutes and time.time() - started > 60 * args.max_minutes:
                log.info("stopping epoch %d at batch %d: --max-minutes %s", epoch, b, args.max_minutes)
                break
        pred = predict_span(model, val_examples, len(val), pad_id) if span else predict(model, enc_val, pad_id)
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
    if span:  # fp32, for re-export; not shipped
        torch.save(model.state_dict(), args.work / "span_model.pt")
    else:
        model.save_pretrained(args.work, safe_serialization=True)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, tokenizer, out, span=span)
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
        "input": INPUTS[args.variant],
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
HEAD_NOTE = "; the head that reads each mention stays fp32, so a mention's score does not move with the others"
RUNS_NOTE = ", read as {train_runs} sentence runs (one per headline; mixed headlines twice)"
LONG_NOTE = {
    "span": "Sentences longer than 64 tokens are read in windows of 64 tokens centred on their mentions.",
    "pair": "Sentences longer than 64 tokens lose their tail.",
}


def write_card(out: Path, meta: dict) -> None:
    d, s = meta["data"], meta["settings"]
    variants = ""
    if meta.get("variants_tried"):
        variants = "\n## Variants tried\n\n" + "\n".join(f"* {line}" for line in meta["variants_tried"]) + "\n"
    card = f"""# narrative entity sentiment (MiniLM-L6, 3 classes, per entity)

The tone of a sentence **toward one entity named in it** (negative / neutral / positive), so that
"Infosys gains while Wipro slips" is positive for Infosys and negative for Wipro. Fine-tuned from the shipped
sentence model `models/sentiment` (MiniLM-L6 from `sentence-transformers/all-MiniLM-L6-v2`, Apache-2.0).
Input ({s["variant"]} variant): {meta["input"]}; see `narrative.nlp.entity_sentiment`. Shipped as ONNX
per-channel dynamic int8 (`model.int8.onnx`{HEAD_NOTE if s["variant"] == "span" else ""}), run with
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
  disagree: {d["train_rows"]} rows, labels {d["train_labels"]}{RUNS_NOTE.format(**d) if "train_runs" in d else ""}.

No other data set is read: Financial PhraseBank, FiQA and the other evaluation sets are never used for training.

## Training settings

epochs {s["epochs"]} (chosen: {meta["chosen_epoch"]}, best validation macro-F1), lr {s["lr"]}{
        f" (the new head: {s['head_lr']})" if s["variant"] == "span" else ""
    } (AdamW, wd 0.01,
linear schedule, 6% warm-up), batch {s["batch_size"]}, balanced class weights, seed {s["seed"]}, frozen: the
embeddings and the first {s["freeze_layers"]} encoder layer(s) (-1: none). Validation per epoch: {meta["val_history"]}.

## Evaluation

{CARD_EVAL_MARK}
{variants}
## Intended use and limits

English financial news sentences and headlines (SEntFiN is Indian business headlines). Not investment advice.
Other languages are not scored by this model (the pipeline labels Chinese sentences with the sentence lexicon
and says so). {LONG_NOTE[s["variant"]]}
"""
    (out / "MODEL_CARD.md").write_text(card)


if __name__ == "__main__":
    raise SystemExit(main())
