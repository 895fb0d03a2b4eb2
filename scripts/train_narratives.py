#!/usr/bin/env python
"""Train the narrative-agnostic relevance and stance heads (issue 9): models/narrative_scorer/.

Training rows, for every narrative in models/narratives/:
  - the YAML's own examples (positive / negative / irrelevant), each featurised with itself left out
    of the example set it belongs to;
  - the DEV half of its labelled set, tests/gold/narratives/<slug>.dev.jsonl (the held-out half is
    never read here).
Every feature is computed relative to the narrative (see narrative.nlp.narrative_model), so one pair
of logistic regressions serves any narrative. A leave-one-narrative-out check (train on the others,
test on the left-out narrative's dev half) says how a brand-new narrative file would fare; an
ablation drops feature groups (rules, sentiment) to show what each is worth.

Weights are written as JSON (no pickle), with MODEL_CARD.md.

    .venv/bin/python scripts/train_narratives.py            # train, LONO check, ablation, write
    .venv/bin/python scripts/train_narratives.py --no-write # figures only
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from narrative.api.analyze import material_from_extraction  # noqa: E402
from narrative.api.score import ScoringContext, sentence_facts, sentence_sentiment, sentiment_model  # noqa: E402
from narrative.catalog import load_catalog, load_narratives, models_dir  # noqa: E402
from narrative.nlp.encoder import encode  # noqa: E402
from narrative.nlp.narrative_model import (FEATURES, STANCE_CLASSES, LinearHead, feature_matrix,  # noqa: E402
                                           prepare_narrative, stance_from)
from narrative.nlp.pipeline import Extractor  # noqa: E402
from narrative.nlp.stance import NEUTRAL_BAND  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "narratives"
RELEVANCE_FEATURES = ("sim_description", "sim_pole_max", "top_relevant", "top_irrelevant", "top_margin",
                      "max_relevant", "max_irrelevant", "proto_relevance", "ridge_relevance", "theme_hit", "scope_entity", "scope_type",
                      "chinese_text")
STANCE_FEATURES = ("sim_pole_diff", "proto_stance", "top_stance_margin", "ridge_stance", "polarity_aligned",
                   "polarity_abs", "chinese_text")
ABLATIONS = {
    "no rules (theme cues, scope)": {"theme_hit", "scope_entity", "scope_type"},
    "no sentiment": {"polarity_aligned", "polarity_abs"},
    "no per-narrative ridge heads": {"ridge_relevance", "ridge_stance"},
    "vectors only": {"theme_hit", "scope_entity", "scope_type", "polarity_aligned", "polarity_abs"},
}
C = 1.0  # inverse regularisation; fixed, not tuned on held-out data
SHARPNESS = (1.0, 1.5, 2.0, 3.0)  # candidates for the stance output's sharpness, picked on dev (LONO)


@dataclasses.dataclass
class Rows:
    narrative: str
    source: list[str]  # "example" | "dev"
    text: list[str]
    lang: list[str]
    relevant: np.ndarray  # bool
    stance: list[str | None]
    features: np.ndarray


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def featurise(narrative, items: list[dict], extractor: Extractor, ctx: ScoringContext) -> np.ndarray:
    """Features of labelled texts: each text is one unit (entities and theme cues of all its sentences)."""
    material = {}
    for n, extraction in enumerate(extractor.extract_many((item["text"], "", None) for item in items)):
        m = material_from_extraction(extraction, narrative.id)
        material[n] = {"language": m["language"], "sentences": [(0, items[n]["text"])],
                       "entities": {0: set().union(*m["entities"].values())},
                       "themes": {0: set().union(*m["themes"].values())}}
    keys = [(n, 0, items[n]["text"]) for n in range(len(items))]
    facts, *_ = sentence_facts(material, keys, ctx)
    vectors = encode([item["text"] for item in items])
    return feature_matrix(ctx.prepared, facts, vectors, leave_out=[item.get("leave_out") for item in items])


def collect(narrative, extractor, model, by_id) -> Rows:
    polarity = lambda texts: [p for p, _ in sentence_sentiment(model, texts)]  # noqa: E731
    ctx = ScoringContext(narrative=narrative, prepared=prepare_narrative(narrative, polarity=polarity),
                         by_id=by_id, model=model, scorer=None)
    items = []
    for label in ("positive", "negative", "irrelevant"):
        for j, text in enumerate(getattr(narrative.examples, label)):
            items.append({"text": text, "relevant": label != "irrelevant",
                          "stance": None if label == "irrelevant" else label, "leave_out": (label, j),
                          "source": "example", "lang": "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"})
    dev = GOLD / f"{narrative.id.replace('-', '_')}.dev.jsonl"
    if dev.is_file():
        for row in read_jsonl(dev):
            items.append({**row, "source": "dev", "leave_out": None})
    else:
        print(f"  (no {dev.name}: examples only)")
    features = featurise(narrative, items, extractor, ctx)
    return Rows(narrative.id, [i["source"] for i in items], [i["text"] for i in items], [i["lang"] for i in items],
                np.array([bool(i["relevant"]) for i in items]), [i["stance"] for i in items], features)


def fit_head(features: np.ndarray, target: np.ndarray, names: tuple[str, ...], classes: tuple[str, ...]) -> LinearHead:
    columns = [FEATURES.index(n) for n in names]
    x = features[:, columns]
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    model.fit((x - mean) / scale, target)
    fitted = tuple(str(c) for c in model.classes_)
    return LinearHead(names, fitted, mean, scale, np.atleast_2d(model.coef_), np.asarray(model.intercept_))


def fit(rows: list[Rows], drop: set[str] = frozenset()) -> tuple[LinearHead, LinearHead]:
    x = np.vstack([r.features for r in rows])
    relevant = np.concatenate([r.relevant for r in rows])
    relevance = fit_head(x, np.where(relevant, "relevant", "irrelevant"),
                         tuple(f for f in RELEVANCE_FEATURES if f not in drop), ("irrelevant", "relevant"))
    stances = [s for r in rows for s in r.stance]
    # Stance is learnt from the two poles only; neutral is what falls inside NEUTRAL_BAND.
    keep = np.array([s in STANCE_CLASSES for s in stances])
    stance = fit_head(x[keep], np.array([s for s in stances if s in STANCE_CLASSES]),
                      tuple(f for f in STANCE_FEATURES if f not in drop), STANCE_CLASSES)
    return relevance, stance


def evaluate(heads: tuple[LinearHead, LinearHead], rows: Rows, source: str = "dev", sharpness: float = 1.0) -> dict[str, float]:
    pick = np.array([s == source for s in rows.source])
    if not pick.any():
        return {}
    relevance_head, stance_head = heads
    x = rows.features[pick]
    predicted = relevance_head.probabilities(x)[:, list(relevance_head.classes).index("relevant")] >= 0.5
    gold = rows.relevant[pick]
    stance = stance_from(stance_head, x, sharpness)
    labels = np.where(stance >= NEUTRAL_BAND, "positive", np.where(stance <= -NEUTRAL_BAND, "negative", "neutral"))
    gold_stance = np.array([s for s, p in zip(rows.stance, pick) if p], dtype=object)
    among = gold_stance != None  # noqa: E711
    return {"relevance_f1": float(f1_score(gold, predicted)), "stance_acc": float((labels[among] == gold_stance[among]).mean())
            if among.any() else float("nan"), "n": int(pick.sum())}


def lono(rows: list[Rows], drop: set[str] = frozenset(), sharpness: float = 1.0) -> dict[str, dict]:
    """Leave one narrative out: train on the others, score the left-out narrative's dev half."""
    return {r.narrative: evaluate(fit([o for o in rows if o is not r], drop), r, sharpness=sharpness)
            for r in rows if len(rows) > 1}


def pick_sharpness(rows: list[Rows]) -> float:
    """The stance sharpness with the best mean leave-one-narrative-out dev accuracy."""
    scores = {k: np.mean([m["stance_acc"] for m in lono(rows, sharpness=k).values()]) for k in SHARPNESS}
    print("stance sharpness (LONO mean dev accuracy):", {k: round(float(v), 3) for k, v in scores.items()})
    return max(scores, key=scores.get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print figures, write nothing")
    parser.add_argument("--dump", type=Path, help="also write the featurised rows here (scratch, for experiments)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default models/narrative_scorer)")
    args = parser.parse_args()
    started = time.monotonic()
    extractor = Extractor.load()
    model = sentiment_model()
    by_id = load_catalog().by_id()
    rows = []
    for narrative in load_narratives():
        print(f"featurising {narrative.id} (version {narrative.version})")
        rows.append(collect(narrative, extractor, model, by_id))
    if args.dump:
        import pickle  # a scratch file for experiments, never shipped

        args.dump.write_bytes(pickle.dumps(rows))
    heads = fit(rows)
    sharpness = pick_sharpness(rows)
    report = {"narratives": {}, "lono": {}, "ablation": {}, "stance_sharpness": sharpness}
    for r in rows:
        counts = {s: sum(1 for x in r.source if x == s) for s in ("example", "dev")}
        report["narratives"][r.narrative] = {**counts, "dev_fit": evaluate(heads, r, sharpness=sharpness)}
    report["lono"] = lono(rows, sharpness=sharpness)
    report["lono, stance sharpness 1"] = lono(rows)
    for name, drop in ABLATIONS.items():
        report["ablation"][name] = lono(rows, drop, sharpness=sharpness)
    print(f"{'check':<34} " + "  ".join(f"{r.narrative:>22}" for r in rows) + "   (relevance F1 / stance acc)")
    lines = {"fit on all, dev": {r.narrative: report["narratives"][r.narrative]["dev_fit"] for r in rows},
             "leave one narrative out": report["lono"],
             "LONO, stance sharpness 1 (P(pos)-P(neg))": report["lono, stance sharpness 1"], **{f"LONO, {k}": v for k, v in report["ablation"].items()}}
    for name, result in lines.items():
        print(f"{name:<34} " + "  ".join(f"{result[r.narrative]['relevance_f1']:>12.3f} / {result[r.narrative]['stance_acc']:.3f}"
                                         if result.get(r.narrative) else f"{'-':>22}" for r in rows))
    if args.no_write:
        return
    out = args.out or models_dir() / "narrative_scorer"
    out.mkdir(parents=True, exist_ok=True)
    relevance, stance = heads
    payload = {"relevance": relevance.to_dict(), "stance": stance.to_dict(), "stance_sharpness": sharpness,
               "trained_on": {r.narrative: report["narratives"][r.narrative] | {"version": next(
                   n.version for n in load_narratives() if n.id == r.narrative)} for r in rows}}
    (out / "heads.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    (out / "training_report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(rows, heads, report, lines), encoding="utf-8")
    print(f"wrote {out / 'heads.json'} and MODEL_CARD.md in {time.monotonic() - started:.0f}s")


def model_card(rows: list[Rows], heads: tuple[LinearHead, LinearHead], report: dict, lines: dict) -> str:
    """MODEL_CARD.md: data, features, weights and the training-side figures (held-out: eval_narratives.py)."""
    narratives = {n.id: n for n in load_narratives()}
    out = ["# Narrative scorer (relevance and stance toward any narrative)", "",
           "Written by `scripts/train_narratives.py`; do not edit by hand. Weights: `heads.json` (JSON, no pickle).", "",
           "## What it is", "",
           "Two standardised logistic regressions over features of a sentence *relative to a narrative's YAML* "
           "(`narrative.nlp.narrative_model`): multilingual USE v3 similarities to the description, the pole texts "
           "and the labelled examples, prototype directions and per-narrative ridge heads fitted on the example "
           "vectors at load time, theme-cue hits and in-scope entities from extraction, and the sentence's "
           "sentiment (shipped model for English, lexicon for Chinese) times the narrative's sentiment alignment. "
           "Relevance = P(relevant); stance = tanh(sharpness x logit / 2) of a head trained on pole-labelled "
           f"sentences (sharpness {report['stance_sharpness']}, picked by leave-one-narrative-out on dev; 1 would be "
           "P(positive) - P(negative)); neutral = |stance| < 0.15. A new narrative file needs no training.", "",
           "## Training data", "",
           "| narrative | file version | YAML examples (left out of their own set when featurised) | dev sentences |",
           "|---|---|---|---|"]
    for r in rows:
        counts = report["narratives"][r.narrative]
        out.append(f"| {r.narrative} | {narratives[r.narrative].version} | {counts['example']} | {counts['dev']} |")
    out += ["", "Held-out halves (`tests/gold/narratives/*.heldout.jsonl`) are never read here; their figures "
            "come from `scripts/eval_narratives.py`.", "", "## Weights", ""]
    for name, head in zip(("relevance", "stance"), heads):
        out += [f"{name} ({' vs '.join(head.classes)}), coefficients on standardised features:", "",
                "| feature | coefficient |", "|---|---|"]
        out += [f"| {f} | {c:+.3f} |" for f, c in zip(head.features, head.coef[0])]
        out.append("")
    out += ["## Checks on the dev halves (relevance F1 / stance accuracy, neutral band 0.15)", "",
            "LONO = leave one narrative out: heads trained on the other narratives only, as for a brand-new "
            "narrative file. Ablations are LONO with feature groups removed.", "",
            "| check | " + " | ".join(r.narrative for r in rows) + " |", "|---|" + "---|" * len(rows)]
    for name, result in lines.items():
        out.append(f"| {name} | " + " | ".join(
            f"{result[r.narrative]['relevance_f1']:.3f} / {result[r.narrative]['stance_acc']:.3f}"
            if result.get(r.narrative) else "-" for r in rows) + " |")
    out += ["", "## Limits", "",
            "Stance from sentence vectors is the weak part: USE places a sentence by topic more than by which way "
            "it points, so pole-flipping sentences on the same topic (\"controls eased\" vs \"controls tightened\", "
            "\"capex raised\" vs \"capex growth to slow\") are often confused, and sentences whose market tone runs "
            "against the narrative's pole (\"SMIC soars as new US curbs boost domestic demand\") defeat the "
            "sentiment feature. See the README's narrative section for held-out figures and error analysis.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
