"""Train the English stance transformer (issue 9; read by narrative.nlp.stance_transformer).

MiniLM-L6, starting from the shipped sentence-sentiment model (models/sentiment: its weights, tokenizer and
negative / neutral / positive head), fine-tuned on ``(narrative name, sentence)`` pairs labelled with the sentence's
stance toward the narrative: every English positive / negative / neutral example of the shipped narrative files and
the labelled stance corpus (``models/narrative_scorer/stance_corpus/<slug>.jsonl``). One model serves all the
narratives it was trained on; ``train_meta.json`` names them. Exported as the sentiment models are (eager attention
fused by onnxruntime, per-channel dynamic int8: ``train_entity_sentiment.export_onnx``), and ``heads.json`` gets
``stance_model.transformer`` and ``transformer_weight`` (the transformer's share in the blend with each
narrative's example classifier).

Selection (``--select``): the transformer is trained on the English corpus lines alone and scored on the narrative
files' English examples, which it never saw, next to the example classifier out of fold (5 folds over the examples;
each fold's classifier fitted on the other folds' examples and, as shipped, every corpus line of the narrative,
English and Chinese) and their blends; the Chinese examples get the classifier's figures with and without the
corpus. No gold sentence is read. The corpus-only model is kept in ``--select-work`` and reused while the English
corpus is unchanged. The shipped run (``--epochs`` and ``--weight`` chosen that way) trains on the corpus and the
examples. Never reads tests/gold.

    .venv/bin/python scripts/train_stance_transformer.py --select          # the selection table
    .venv/bin/python scripts/train_stance_transformer.py                   # writes the shipped model
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from narrative.api.score import is_chinese  # noqa: E402
from narrative.catalog import load_narratives  # noqa: E402
from narrative.nlp.stance_corpus import StanceCorpus  # noqa: E402
from narrative.nlp.stance_model import STANCE_LABELS  # noqa: E402

SCORER = ROOT / "models" / "narrative_scorer"
CORPUS = SCORER / "stance_corpus"
OUT = SCORER / "stance_transformer"


def english_examples(narrative) -> list[tuple[str, str]]:
    """(text, label) of the narrative file's English stance examples."""
    return [
        (text, label) for label in STANCE_LABELS for text in getattr(narrative.examples, label) if not is_chinese(text)
    ]


def corpus_rows(narrative_id: str, folder: Path) -> list[tuple[str, str]]:
    """(text, label) of the narrative's English stance corpus lines (none when it has no file)."""
    return [(t, label) for t, label in StanceCorpus.load(folder).rows(narrative_id) if not is_chinese(t)]


def train(rows: list[tuple[str, str, str]], args):
    """Fine-tune on (narrative name, text, label) rows; returns (model, tokenizer)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(args.init)
    model = AutoModelForSequenceClassification.from_pretrained(args.init, dtype=torch.float32, num_labels=3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(rows) + args.batch - 1) // args.batch)
    schedule = get_linear_schedule_with_warmup(optimizer, 0, steps)
    order = list(rows)
    for epoch in range(1, args.epochs + 1):
        model.train()
        random.shuffle(order)
        start, total = time.time(), 0.0
        for i in range(0, len(order), args.batch):
            batch = order[i : i + args.batch]
            encoded = tokenizer(
                [n for n, _, _ in batch],
                [t for _, t, _ in batch],
                padding=True,
                truncation="only_second",
                max_length=128,
                return_tensors="pt",
            )
            target = torch.tensor([STANCE_LABELS.index(label) for _, _, label in batch])
            loss = torch.nn.functional.cross_entropy(model(**encoded).logits, target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        print(f"epoch {epoch}: loss {total / len(order):.3f} ({time.time() - start:.0f} s)", flush=True)
    return model.eval(), tokenizer


def transformer_probabilities(model, tokenizer, name: str, texts: list[str]) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            chunk = texts[i : i + 64]
            encoded = tokenizer(
                [name] * len(chunk), chunk, padding=True, truncation="only_second", max_length=128, return_tensors="pt"
            )
            out.append(torch.softmax(model(**encoded).logits, -1).numpy())
    return np.vstack(out) if out else np.zeros((0, 3))


def classifier_out_of_fold(narrative, scorer, polarity, corpus) -> tuple[list[str], list[str], np.ndarray]:
    """The example classifier's out-of-fold probabilities (5 stratified folds, random_state 0) for every example of
    the narrative (English and Chinese): each fold's classifier is fitted on the other folds' examples and the
    ``corpus`` (text, label) lines. Returns (texts, labels, probabilities)."""
    from sklearn.model_selection import StratifiedKFold

    from narrative.nlp.encoder import encode
    from narrative.nlp.narrative_text import scoring_texts
    from narrative.nlp.stance_model import ExampleStanceModel

    texts = [t for label in STANCE_LABELS for t in getattr(narrative.examples, label)] + [t for t, _ in corpus]
    labels = [label for label in STANCE_LABELS for _ in getattr(narrative.examples, label)] + [lab for _, lab in corpus]
    vectors, pol = encode(scoring_texts(texts)), np.array(polarity(texts))
    n = len(texts) - len(corpus)  # the examples come first
    probs = np.zeros((n, 3))
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=0).split(texts[:n], labels[:n]):
        rows = sorted([*fit, *range(n, len(texts))], key=lambda i: STANCE_LABELS.index(labels[i]))
        examples = {lab: [texts[i] for i in rows if labels[i] == lab] for lab in STANCE_LABELS}
        model = ExampleStanceModel.fit(examples, vectors[rows], scorer.stance_settings, pol[rows])
        probs[held] = model.probabilities([texts[i] for i in held], vectors[held], pol[held])
    return texts[:n], labels[:n], probs


def corpus_only_model(rows: list[tuple[str, str, str]], args):
    """The transformer trained on the English corpus lines alone, kept in ``args.select_work`` with the digest of its
    rows and settings, and read from there while both are unchanged."""
    import hashlib

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    settings = {k: v for k, v in vars(args).items() if k in ("init", "epochs", "lr", "batch", "seed")}
    digest = hashlib.sha256(json.dumps([rows, settings], ensure_ascii=False).encode()).hexdigest()
    work, stamp = Path(args.select_work), Path(args.select_work) / "rows.sha256"
    if stamp.is_file() and stamp.read_text() == digest:
        print(f"reading the corpus-only model of {len(rows)} rows from {work}", flush=True)
        model = AutoModelForSequenceClassification.from_pretrained(work, dtype=torch.float32).eval()
        return model, AutoTokenizer.from_pretrained(work)
    print(f"training on the English corpus only: {len(rows)} rows", flush=True)
    model, tokenizer = train(rows, args)
    model.save_pretrained(work)
    tokenizer.save_pretrained(work)
    stamp.write_text(digest)
    return model, tokenizer


def hits(probs: np.ndarray, labels: list[str]) -> int:
    return int(sum(STANCE_LABELS[j] == label for j, label in zip(probs.argmax(1), labels)))


def select(narratives, args) -> None:
    from narrative.api.score import narrative_scorer, scoring_context, sentence_sentiment

    rows = [(n.name, t, lab) for n in narratives for t, lab in corpus_rows(n.id, args.corpus)]
    model, tokenizer = corpus_only_model(rows, args)
    sentiment = scoring_context(narratives[0].id).model
    scorer = narrative_scorer()
    corpus = StanceCorpus.load(args.corpus)
    weights = [float(w) for w in args.weights.split(",")]
    english, chinese = [], []

    def polarity(texts):
        return [p for p, _ in sentence_sentiment(sentiment, texts)]

    for n in narratives:
        texts, labels, plain = classifier_out_of_fold(n, scorer, polarity, [])
        _, _, with_corpus = classifier_out_of_fold(n, scorer, polarity, corpus.rows(n.id))
        en = [i for i, t in enumerate(texts) if not is_chinese(t)]
        zh = [i for i, t in enumerate(texts) if is_chinese(t)]
        en_labels, zh_labels = [labels[i] for i in en], [labels[i] for i in zh]
        read = transformer_probabilities(model, tokenizer, n.name, [texts[i] for i in en])
        blends = [hits((1 - w) * with_corpus[en] + w * read, en_labels) for w in weights]
        english.append((n.id, len(en), hits(plain[en], en_labels), *blends))
        chinese.append((n.id, len(zh), hits(plain[zh], zh_labels), hits(with_corpus[zh], zh_labels)))
        print(f"{n.id}: done", flush=True)
    print("\nEnglish examples, hits of the classifier with the corpus blended with the transformer:\n")
    print("| narrative | n | classifier, examples only | " + " | ".join(f"weight {w:g}" for w in weights) + " |")
    print("|---|---|---|" + "---|" * len(weights))
    for row in [*english, ("all", *np.sum([r[1:] for r in english], axis=0))]:
        print("| " + " | ".join(str(v) for v in row) + " |")
    print("\nChinese examples, stance hits of the classifier (the transformer reads English only):\n")
    print("| narrative | n | examples only | with the corpus |")
    print("|---|---|---|---|")
    for row in [*chinese, ("all", *np.sum([r[1:] for r in chinese], axis=0))]:
        print("| " + " | ".join(str(v) for v in row) + " |")


def write(narratives, args) -> None:
    import torch
    from tokenizers import Tokenizer
    from train_entity_sentiment import export_onnx
    from transformers import AutoModelForSequenceClassification

    rows = []
    counts = {}
    for n in narratives:
        own = english_examples(n) + corpus_rows(n.id, args.corpus)
        counts[n.id] = {lab: sum(1 for _, label in own if label == lab) for lab in STANCE_LABELS}
        rows += [(n.name, t, lab) for t, lab in own]
    work = Path(args.work)
    if args.export_only:
        print(f"exporting the fp32 model in {work}", flush=True)
        seconds = json.loads((work / "training.json").read_text(encoding="utf-8"))["seconds"]
    else:
        print(f"training on {len(rows)} rows: {counts}", flush=True)
        start = time.time()
        model, tokenizer = train(rows, args)
        seconds = round(time.time() - start)
        model.config.id2label = dict(enumerate(STANCE_LABELS))
        model.config.label2id = {lab: i for i, lab in enumerate(STANCE_LABELS)}
        model.save_pretrained(work)  # fp32, kept so that the export can be run again without training
        tokenizer.save_pretrained(work)
        (work / "training.json").write_text(json.dumps({"seconds": seconds}), encoding="utf-8")
    model = AutoModelForSequenceClassification.from_pretrained(work, dtype=torch.float32).eval()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(work / name, out / name)
    export_onnx(model, Tokenizer.from_file(str(work / "tokenizer.json")), out)
    meta = {
        "base": "models/sentiment (MiniLM-L6 fine-tuned for financial sentiment from all-MiniLM-L6-v2)",
        "input": "(narrative name, sentence) pairs, English only",
        "narratives": {n.id: {"name": n.name, "version": n.version} for n in narratives},
        "rows": counts,
        "settings": {k: v for k, v in vars(args).items() if k in ("epochs", "lr", "batch", "seed", "threads")},
        "training_seconds": seconds,
    }
    (out / "train_meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    heads_file = out.parent / "heads.json"  # the scorer's heads next to the model folder
    if not heads_file.is_file():
        print(f"wrote {out} ({heads_file} not found: no heads updated)")
        return
    heads = json.loads(heads_file.read_text(encoding="utf-8"))
    heads["stance_model"]["transformer"] = out.name
    heads["stance_model"]["transformer_weight"] = args.weight
    heads_file.write_text(json.dumps(heads, indent=1) + "\n", encoding="utf-8")  # as train_narratives writes it
    print(f"wrote {out} and {heads_file} (transformer weight {args.weight})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", default=str(ROOT / "models" / "sentiment"))
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "stance_transformer_fp32"))
    ap.add_argument("--export-only", action="store_true", help="export the fp32 model in --work again, no training")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weight", type=float, default=0.5, help="the transformer's share in the blend (heads.json)")
    ap.add_argument("--select", action="store_true", help="train on the corpus only and print the selection table")
    ap.add_argument("--weights", default="0,0.3,0.4,0.5,0.6,0.7,1", help="blend weights --select compares")
    ap.add_argument("--select-work", default=str(Path(tempfile.gettempdir()) / "stance_transformer_select"))
    args = ap.parse_args(argv)
    narratives = [n for n in load_narratives() if corpus_rows(n.id, args.corpus)]
    if not narratives:
        print(f"no stance corpus in {args.corpus}", file=sys.stderr)
        return 2
    (select if args.select else write)(narratives, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
