#!/usr/bin/env python
"""Held-out evaluation of the entity sentiment model on SEntFiN (issue 10 item 4).

The test split is the one ``scripts/train_entity_sentiment.py`` holds out (seed 0, 10% of the headlines, by
headline; the shipped sentence model never trained on it either). Prints, for the shipped entity model (ONNX
int8, what the pipeline runs) and beside it two baselines from the shipped sentence model (`models/sentiment`):

* ``sentence label``: the sentence model's label of the headline, given to every entity in it;
* ``targeted pair``: ``SentimentModel.score_targets`` (the (entity, sentence) pair scorer used before this work).

Figures: accuracy, macro-F1, per-class precision/recall/F1, and the subset of headlines whose entities disagree.
Needs ``../shared/data`` (``--data``).

Example::

    .venv/bin/python scripts/eval_entity_sentiment.py
    .venv/bin/python scripts/eval_entity_sentiment.py --card   # also writes the table into MODEL_CARD.md
    .venv/bin/python scripts/eval_entity_sentiment.py --timing # extraction alone vs + entity relevance + sentiment

``--timing`` (issue 10's speed line) runs, in one process and alternating, the extractor alone and the extractor plus
what enrichment adds per article (entity relevance, then entity sentiment toward every mention, as
``narrative analyze`` computes them) on the same texts: headlines with their descriptions from
``news/headlines_2020`` and FNSPID bodies from ``news/fnspid_sample`` (read at run time, as ``scripts/bench_e2e.py``
reads them). CPU seconds of this process (the machine is shared, so not wall time), the fastest of the rounds each;
models are loaded and warmed first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_entity_sentiment import CARD_EVAL_MARK, LABELS, split_sentfin  # noqa: E402


def report(gold: list[int], pred: list[int]) -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1 (scikit-learn)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=[0, 1, 2], zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, labels=[0, 1, 2], average="macro", zero_division=0)), 4),
        "per_class": {
            LABELS[i]: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "n": int(n[i]),
            }
            for i in range(3)
        },
    }


def timing(data: Path, headlines: int, bodies: int, rounds: int) -> int:
    """Print the CPU cost of extraction alone and with entity relevance + entity sentiment, and their ratio."""
    os.environ.setdefault("BENCH_NEWS", str(data / "news"))
    from bench_e2e import read_articles, read_headlines

    from narrative.api.entity_sentiment import entity_sentiment_model, score_targets
    from narrative.nlp.entity_relevance import entity_relevance
    from narrative.nlp.pipeline import Extractor

    docs = [(h["title"], h["text"], "en") for h in read_headlines()[:headlines]]
    docs += [(a["title"], a["text"], "en") for a in read_articles()[:bodies]]
    extractor, model = Extractor.load(), entity_sentiment_model()

    def targets(results) -> list:
        found = []
        for result in results:
            sentences = {s.index: s for s in result.sentences}
            for m in result.mentions:
                sentence = sentences[m.sentence]
                found.append((sentence.text, m.surface, m.start - sentence.start, m.end - sentence.start))
        return found

    warm = list(extractor.extract_many(docs[:10]))
    score_targets(model, targets(warm))
    spent: dict[str, list[float]] = {"extraction": [], "with": [], "relevance": [], "sentiment": []}
    for _ in range(rounds):
        start = time.process_time()
        list(extractor.extract_many(docs))
        spent["extraction"].append(time.process_time() - start)
        start = time.process_time()
        results = list(extractor.extract_many(docs))
        extracted = time.process_time()
        for (title, _, _), result in zip(docs, results):
            entity_relevance(result, title_chars=len(title))
        related = time.process_time()
        found = targets(results)
        score_targets(model, found)
        done = time.process_time()
        spent["with"].append(done - start)
        spent["relevance"].append(related - extracted)
        spent["sentiment"].append(done - related)
    best = {name: min(values) for name, values in spent.items()}
    print(
        f"{len(docs)} texts ({headlines} headlines with descriptions, {bodies} FNSPID bodies), {len(found)} mentions "
        f"({len(set(found))} distinct (sentence, mention) targets); model {model.version}; CPU s, best of {rounds}:"
    )
    print(f"  extraction alone                           {best['extraction']:7.2f}")
    print(
        f"  extraction + entity relevance + sentiment  {best['with']:7.2f}  (relevance {best['relevance']:.2f}, "
        f"sentiment {best['sentiment']:.2f}: {1000 * best['sentiment'] / max(1, len(set(found))):.1f} ms per target)"
    )
    print(f"  ratio {best['with'] / best['extraction']:.2f} (target <= 1.20)")
    print(f"  rounds: {json.dumps({k: [round(v, 2) for v in vs] for k, vs in spent.items()})}")
    print(
        f"Command: .venv/bin/python scripts/eval_entity_sentiment.py --timing --headlines {headlines} --bodies {bodies}"
    )
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data", help="data root (default ../shared/data)")
    ap.add_argument("--model", type=Path, default=REPO / "models/entity_sentiment")
    ap.add_argument("--sentence-model", type=Path, default=REPO / "models/sentiment")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--card", action="store_true", help="write the results into the model's MODEL_CARD.md")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--timing", action="store_true", help="only time extraction alone vs + relevance + sentiment")
    ap.add_argument("--headlines", type=int, default=300, help="--timing: headlines (with descriptions)")
    ap.add_argument("--bodies", type=int, default=20, help="--timing: FNSPID article bodies")
    ap.add_argument("--rounds", type=int, default=3, help="--timing: alternated rounds of each")
    args = ap.parse_args(argv)
    if args.timing:
        return timing(args.data.resolve(), args.headlines, args.bodies, args.rounds)

    from narrative.nlp.entity_sentiment import EntitySentimentModel
    from narrative.nlp.sentiment import SentimentModel

    _, _, test, info = split_sentfin(args.data.resolve())
    gold = [r["label"] for r in test]
    disagree = [i for i, r in enumerate(test) if r["disagree"]]
    l2i = {name: i for i, name in enumerate(LABELS)}

    model = EntitySentimentModel.load(args.model, threads=args.threads)
    started = time.monotonic()
    ours = [l2i[s.label] for s in model.score([(r["headline"], r["entity"], None, None) for r in test])]
    rate = len(test) / (time.monotonic() - started)
    sentence_model = SentimentModel.load(args.sentence_model, threads=args.threads)
    headlines = sorted({r["headline"] for r in test})
    by_headline = dict(zip(headlines, sentence_model.score(headlines)))
    sentence_label = [l2i[by_headline[r["headline"]].label] for r in test]
    targeted = [l2i[s.label] for s in sentence_model.score_targets([(r["entity"], r["headline"]) for r in test])]

    results = {}
    for name, pred in (("entity model", ours), ("sentence label", sentence_label), ("targeted pair", targeted)):
        results[name] = {
            "all": report(gold, pred),
            "disagree": report([gold[i] for i in disagree], [pred[i] for i in disagree]),
        }
    figures = {
        "model": model.version,
        "sentence_model": sentence_model.version,
        "split": info,
        "test_entities": len(test),
        "disagree_entities": len(disagree),
        "pairs_per_second": round(rate, 1),
        "results": results,
    }

    cmd = ".venv/bin/python scripts/eval_entity_sentiment.py"
    lines = [
        f"SEntFiN held-out test: {len(test)} entities in {info['test_headlines']} headlines "
        f"({len(disagree)} entities in headlines whose entities disagree); model {model.version}",
        "",
        "| scorer | accuracy | macro-F1 | F1 neg / neu / pos | disagreeing: accuracy | disagreeing: macro-F1 |",
        "|---|---|---|---|---|---|",
    ]
    for name, res in results.items():
        a, d = res["all"], res["disagree"]
        per = " / ".join(f"{a['per_class'][label]['f1']:.3f}" for label in LABELS)
        shown = {
            "entity model": "**entity model** (models/entity_sentiment, ONNX int8)",
            "sentence label": "baseline: sentence model's label for every entity",
            "targeted pair": "before: SentimentModel.score_targets (entity, sentence) pair",
        }[name]
        lines.append(
            f"| {shown} | {a['accuracy']:.3f} | {a['macro_f1']:.3f} | {per} | {d['accuracy']:.3f} | "
            f"{d['macro_f1']:.3f} |"
        )
    lines += [
        "",
        f"Entity model per class: {json.dumps(results['entity model']['all']['per_class'])}",
        f"Speed: {rate:.0f} (entity, sentence) pairs/s on {args.threads} CPU threads (ONNX int8).",
        f"Command: `{cmd}`",
    ]
    text = "\n".join(lines)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.card:
        card = args.model / "MODEL_CARD.md"
        body = card.read_text()
        head, _, tail = body.partition(CARD_EVAL_MARK)
        tail = tail[tail.index("\n## ") :] if "\n## " in tail else tail
        card.write_text(f"{head}{CARD_EVAL_MARK}\n\n{text}\n{tail}")
        print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
