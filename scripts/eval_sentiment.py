#!/usr/bin/env python
"""Evaluate a sentiment model directory on Financial PhraseBank and FiQA 2018 task 1.

* FPB (CC BY-NC-SA 3.0; evaluation only, never trained on, no text copied into the repo):
  ``Sentences_AllAgree.txt`` and ``Sentences_50Agree.txt`` (``sentence@label``, ISO-8859-1).
* FiQA 2018 task 1 (headlines + microblog posts, train+test JSON files, 1,173 (target, text)
  items; scores in [-1, 1]). 3-class gold: score < -0.1 negative, > 0.1 positive, else neutral.
  Also reported: binary sign accuracy on items with score != 0 (predicted sign = sign of
  positive - negative). Both sentence-level (``score``) and entity-targeted
  (``score_targets(target, text)``) predictions are evaluated.

Prints accuracy, macro-F1 and a confusion matrix (rows gold, columns predicted) per set.

Example::

    .venv/bin/python scripts/eval_sentiment.py models/sentiment --card
    .venv/bin/python scripts/eval_sentiment.py /tmp/sent_B --neutral-shift -0.5 --json /tmp/variants.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from narrative.nlp.sentiment import LABELS, SentimentModel, SentimentScore  # noqa: E402

FIQA_NEG, FIQA_POS = -0.1, 0.1
CARD_EVAL_MARK = "<!-- eval results: written by scripts/eval_sentiment.py --card -->"


def load_fpb(data: Path, name: str) -> tuple[list[str], list[int]]:
    texts, gold = [], []
    with open(data / "sentiment/financial_phrasebank" / f"Sentences_{name}.txt", encoding="iso-8859-1") as f:
        for line in f:
            line = line.strip()
            if "@" in line:  # AllAgree has one stray 1-character line; it is skipped
                text, label = line.rsplit("@", 1)
                texts.append(text.strip())
                gold.append(LABELS.index(label.strip()))
    return texts, gold


def load_fiqa(data: Path) -> list[tuple[str, str, float]]:
    items = []
    for kind in ("headline", "post"):
        for split in ("train", "test"):
            path = data / "sentiment/fiqa2018_task1" / f"task1_{kind}_ABSA_{split}.json"
            for rec in json.loads(path.read_text(encoding="utf-8")).values():
                for info in rec["info"]:
                    items.append((info["target"], rec["sentence"], float(info["sentiment_score"])))
    return items


def fiqa_class(score: float) -> int:
    return 0 if score < FIQA_NEG else 2 if score > FIQA_POS else 1


def shifted(scores: list[SentimentScore], shift: float) -> list[list[float]]:
    """Probabilities after adding ``shift`` to the neutral logit."""
    out = []
    for s in scores:
        p = [s.negative, s.neutral * math.exp(shift), s.positive]
        z = sum(p)
        out.append([x / z for x in p])
    return out


def metrics(gold: list[int], pred: list[int]) -> dict:
    cm = [[0] * 3 for _ in range(3)]
    for g, p in zip(gold, pred):
        cm[g][p] += 1
    f1s = []
    for c in range(3):
        tp, fp, fn = cm[c][c], sum(cm[r][c] for r in range(3)) - cm[c][c], sum(cm[c]) - cm[c][c]
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    acc = sum(cm[c][c] for c in range(3)) / max(1, len(gold))
    return {"n": len(gold), "accuracy": round(acc, 4), "macro_f1": round(sum(f1s) / 3, 4), "confusion": cm}


def show(name: str, m: dict) -> None:
    print(f"\n{name}: n={m['n']} accuracy={m['accuracy']:.4f} macro-F1={m['macro_f1']:.4f}")
    if "sign_accuracy" in m:
        print(f"  binary sign accuracy (score != 0, n={m['sign_n']}): {m['sign_accuracy']:.4f}")
    print("  gold \\ pred " + "".join(f"{x:>10}" for x in LABELS))
    for label, row in zip(LABELS, m["confusion"]):
        print(f"  {label:>11} " + "".join(f"{x:>10}" for x in row))


def score_all(model: SentimentModel, data: Path) -> dict:
    """Run the model once over every evaluation set."""
    sets: dict = {}
    for name in ("AllAgree", "50Agree"):
        texts, gold = load_fpb(data, name)
        sets[f"fpb_{name}"] = (gold, model.score(texts), None)
    items = load_fiqa(data)
    gold = [fiqa_class(s) for _, _, s in items]
    raw = [s for _, _, s in items]
    sets["fiqa_sentence"] = (gold, model.score([t for _, t, _ in items]), raw)
    sets["fiqa_targeted"] = (gold, model.score_targets([(e, t) for e, t, _ in items]), raw)
    return sets


def evaluate(sets: dict, shift: float) -> dict:
    results: dict = {}
    for key, (gold, scores, raw) in sets.items():
        probs = shifted(scores, shift)
        m = metrics(gold, [max(range(3), key=p.__getitem__) for p in probs])
        if raw is not None:
            signed = [(s, p[2] - p[0]) for s, p in zip(raw, probs) if s != 0]
            m["sign_n"] = len(signed)
            m["sign_accuracy"] = round(sum((s > 0) == (pol > 0) for s, pol in signed) / max(1, len(signed)), 4)
        results[key] = m
    return results


def card_table(results: dict, header: str) -> str:
    a, b = results["fpb_AllAgree"], results["fpb_50Agree"]
    fs, ft = results["fiqa_sentence"], results["fiqa_targeted"]
    lines = [
        header,
        "",
        "| set | n | accuracy | macro-F1 |",
        "|---|---|---|---|",
        f"| FPB AllAgree | {a['n']} | {a['accuracy']:.3f} | {a['macro_f1']:.3f} |",
        f"| FPB 50Agree | {b['n']} | {b['accuracy']:.3f} | {b['macro_f1']:.3f} |",
        f"| FiQA 2018 task 1, sentence (3-class, +-0.1) | {fs['n']} | {fs['accuracy']:.3f} | {fs['macro_f1']:.3f} |",
        f"| FiQA 2018 task 1, targeted (3-class, +-0.1) | {ft['n']} | {ft['accuracy']:.3f} | {ft['macro_f1']:.3f} |",
        "",
        f"FiQA binary sign accuracy (score != 0, n={fs['sign_n']}): sentence {fs['sign_accuracy']:.3f}, "
        f"targeted {ft['sign_accuracy']:.3f}. FPB confusion (rows gold, columns predicted; neg/neu/pos): "
        f"AllAgree {a['confusion']}, 50Agree {b['confusion']}.",
    ]
    return "\n".join(lines)


def variants_table(rows: list[dict]) -> str:
    def cell(r, key, field):
        m = r.get(key)
        return "-" if not m or m.get(field) is None else f"{m[field]:.3f}"

    lines = [
        "### Variants tried (each trained by scripts/train_sentiment.py; FPB/FiQA never used for choices)",
        "",
        "| variant | dev F1 (not FPB) | AllAgree acc | AllAgree F1 | 50Agree acc | 50Agree F1 | FiQA acc | FiQA F1 "
        "| FiQA sign acc |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [
            cell(r, "dev", "macro_f1"),
            cell(r, "fpb_AllAgree", "accuracy"),
            cell(r, "fpb_AllAgree", "macro_f1"),
            cell(r, "fpb_50Agree", "accuracy"),
            cell(r, "fpb_50Agree", "macro_f1"),
            cell(r, "fiqa_sentence", "accuracy"),
            cell(r, "fiqa_sentence", "macro_f1"),
            cell(r, "fiqa_sentence", "sign_accuracy"),
        ]
        lines.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=str(REPO / "models/sentiment"), help="model dir or hub id")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data")
    ap.add_argument("--neutral-shift", type=float, default=0.0, help="add to the neutral logit (exploration)")
    ap.add_argument("--shifts", default="", help="comma list of neutral shifts to tabulate, e.g. -1,-0.5,0,0.5")
    ap.add_argument("--quantize", action="store_true", help="dynamic int8 quantisation")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--name", default=None, help="variant name for --json")
    ap.add_argument("--json", type=Path, default=None, help="append a JSON line with the results")
    ap.add_argument("--card", action="store_true", help="write the results into MODEL_CARD.md of the model dir")
    ap.add_argument("--variants", type=Path, default=None, help="with --card: JSON lines of other variants to tabulate")
    args = ap.parse_args(argv)

    t0 = time.time()
    model = SentimentModel.load(args.model, quantize=args.quantize, threads=args.threads, max_length=args.max_length)
    sets = score_all(model, args.data.resolve())
    results = evaluate(sets, args.neutral_shift)
    print(
        f"model {model.version} (quantize={args.quantize}, neutral shift {args.neutral_shift:+.2f}, "
        f"max_length {args.max_length}); {time.time() - t0:.0f}s"
    )
    for key, m in results.items():
        show(key, m)
    if args.shifts:
        print("\nneutral shift | AllAgree acc / F1 | 50Agree acc / F1 | FiQA sentence acc / F1")
        for sh in [float(x) for x in args.shifts.split(",")]:
            r = evaluate(sets, sh)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(
                        json.dumps(
                            {
                                "name": f"{args.name or args.model}, neutral shift {sh:+.1f} (eval-time)",
                                "version": model.version,
                                "quantize": args.quantize,
                                "neutral_shift": sh,
                                **r,
                            }
                        )
                        + "\n"
                    )
            a, b, f = r["fpb_AllAgree"], r["fpb_50Agree"], r["fiqa_sentence"]
            print(
                f"{sh:+13.2f} | {a['accuracy']:.3f} / {a['macro_f1']:.3f} | {b['accuracy']:.3f} / {b['macro_f1']:.3f}"
                f" | {f['accuracy']:.3f} / {f['macro_f1']:.3f}"
            )
    if args.json:
        with open(args.json, "a") as f:
            f.write(
                json.dumps(
                    {
                        "name": args.name or args.model,
                        "version": model.version,
                        "quantize": args.quantize,
                        "neutral_shift": args.neutral_shift,
                        **results,
                    }
                )
                + "\n"
            )
    if args.card:
        card = Path(args.model) / "MODEL_CARD.md"
        text = card.read_text() if card.exists() else f"# {Path(args.model).name}\n\n{CARD_EVAL_MARK}\n"
        block = card_table(
            results,
            f"Results of `scripts/eval_sentiment.py` for `{model.version}`{' (int8)' if args.quantize else ''}:",
        )
        if args.variants:
            rows = [json.loads(x) for x in args.variants.read_text().splitlines() if x.strip()]
            if args.name:
                dev = (
                    json.loads((Path(args.model) / "train_meta.json").read_text()).get("dev")
                    if (Path(args.model) / "train_meta.json").is_file()
                    else None
                )
                rows.append({"name": f"**{args.name}** (shipped)", "dev": dev, **results})
            block += "\n\n" + variants_table(rows)
        head, _, tail = text.partition(CARD_EVAL_MARK)
        rest = tail.split("\n## ", 1)
        tail = "\n\n## " + rest[1] if len(rest) > 1 else "\n"
        card.write_text(f"{head}{CARD_EVAL_MARK}\n\n{block}{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
