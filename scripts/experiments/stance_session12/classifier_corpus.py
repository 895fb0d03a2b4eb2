"""Does the example classifier gain from corpus rows? (session 12 experiment, reads no gold sentence)

For each narrative: 5 stratified folds over the narrative file's examples (as train_stance_transformer --select);
each fold's classifier is fitted on the other folds' examples, plus, in the second arm, every corpus line of the
narrative (English and Chinese alike). Prints hits on the held fold's examples, English and Chinese apart.

    .venv/bin/python scripts/experiments/stance_session12/classifier_corpus.py --corpus DIR [DIR ...] \
        [--transformer WORK]

With ``--transformer WORK``, English examples are also scored by a stance transformer trained on the English corpus
lines alone (``scripts/train_stance_transformer.py``'s recipe; trained once into WORK, read from there afterwards),
and the table gives blends of each classifier with it (weight 0.5 unless ``--weights``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from narrative.api.score import is_chinese, narrative_scorer, scoring_context, sentence_sentiment
from narrative.catalog import load_narratives
from narrative.nlp.encoder import encode
from narrative.nlp.narrative_text import scoring_texts
from narrative.nlp.stance_model import STANCE_LABELS, ExampleStanceModel


def corpus(narrative_id: str, folders: list[Path]) -> list[tuple[str, str]]:
    rows = []
    for folder in folders:
        for path in sorted(folder.glob(f"{narrative_id.replace('-', '_')}*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    if r.get("label") in STANCE_LABELS:
                        rows.append((r["text"], r["label"]))
    return rows


def main() -> None:
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", nargs="+", type=Path, required=True)
    parser.add_argument("--only", choices=["en", "zh"], help="corpus lines of one language only")
    parser.add_argument("--transformer", type=Path, help="folder of the corpus-only transformer (trained if empty)")
    parser.add_argument("--weights", default="0.5")
    args = parser.parse_args()
    narratives = load_narratives()
    transformer = trained_transformer(args, narratives) if args.transformer else None
    weights = [float(w) for w in args.weights.split(",")]
    sentiment = scoring_context(narratives[0].id).model
    scorer = narrative_scorer()

    def polarity(ts):
        return np.array([p for p, _ in sentence_sentiment(sentiment, ts)])

    print("| narrative | lang | n | examples only | + corpus |")
    for n in narratives:
        texts = [t for label in STANCE_LABELS for t in getattr(n.examples, label)]
        labels = np.array([label for label in STANCE_LABELS for _ in getattr(n.examples, label)])
        extra = corpus(n.id, args.corpus)
        if args.only:
            extra = [(t, lab) for t, lab in extra if is_chinese(t) == (args.only == "zh")]
        extra_texts = [t for t, _ in extra]
        vectors, pol = encode(scoring_texts(texts)), polarity(texts)
        evectors = encode(scoring_texts(extra_texts)) if extra else np.zeros((0, vectors.shape[1]))
        epol = polarity(extra_texts) if extra else np.zeros(0)
        arms = {"plain": np.zeros((len(texts), 3)), "corpus": np.zeros((len(texts), 3))}
        for fit, held in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
            for arm, probs in arms.items():
                rows = [(texts[i], labels[i], vectors[i], pol[i]) for i in fit]
                if arm == "corpus":
                    rows += [(t, lab, evectors[j], epol[j]) for j, (t, lab) in enumerate(extra)]
                rows.sort(key=lambda r: STANCE_LABELS.index(r[1]))
                examples = {lab: [r[0] for r in rows if r[1] == lab] for lab in STANCE_LABELS}
                model = ExampleStanceModel.fit(
                    examples, np.array([r[2] for r in rows]), scorer.stance_settings, np.array([r[3] for r in rows])
                )
                probs[held] = model.probabilities([texts[i] for i in held], vectors[held], pol[held])
        for lang in ("en", "zh"):
            idx = [i for i, t in enumerate(texts) if is_chinese(t) == (lang == "zh")]
            hits = [
                int(sum(STANCE_LABELS[j] == labels[i] for i, j in zip(idx, p[idx].argmax(1)))) for p in arms.values()
            ]
            line = f"| {n.id} | {lang} | {len(idx)} | {hits[0]} | {hits[1]} |"
            if lang == "en" and transformer is not None:
                from train_stance_transformer import transformer_probabilities

                read = transformer_probabilities(*transformer, n.name, [texts[i] for i in idx])
                line += f" transformer {sum(STANCE_LABELS[j] == labels[i] for i, j in zip(idx, read.argmax(1)))} |"
                for w in weights:
                    for arm, probs in arms.items():
                        mixed = (1 - w) * probs[idx] + w * read
                        hit = sum(STANCE_LABELS[j] == labels[i] for i, j in zip(idx, mixed.argmax(1)))
                        line += f" {arm}@{w:g} {hit} |"
            print(line + f" (+{len(extra)} corpus lines)", flush=True)


def trained_transformer(args, narratives):
    """(model, tokenizer) trained on the English corpus lines alone, kept in ``args.transformer``."""
    import torch
    from train_stance_transformer import train
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = args.transformer
    if not (folder / "config.json").is_file():
        rows = [(n.name, t, lab) for n in narratives for t, lab in corpus(n.id, args.corpus) if not is_chinese(t)]
        print(f"training the transformer on {len(rows)} English corpus lines", flush=True)
        settings = argparse.Namespace(
            init=str(ROOT / "models" / "sentiment"), epochs=4, lr=5e-5, batch=16, seed=0, threads=2
        )
        model, tokenizer = train(rows, settings)
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(folder)


if __name__ == "__main__":
    main()
