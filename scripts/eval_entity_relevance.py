#!/usr/bin/env python
"""Fit and evaluate entity relevance (issue 10 item 5) on tests/gold/entity_relevance.

    python scripts/eval_entity_relevance.py               # held-out figures: model vs naive peers
    python scripts/eval_entity_relevance.py --fit         # refit models/entity_relevance/weights.json on dev
    python scripts/eval_entity_relevance.py --split dev -v
    python scripts/eval_entity_relevance.py --candidates reuters2020:12 fnspid:40   # entities of articles, to label
    python scripts/eval_entity_relevance.py --bench       # what relevance adds to enrich, on the gold articles

The gold pairs (``pairs.yaml``) say (article, entity, label) with label ``subject`` (the article is about it / its
main actor), ``significant`` (discussed, not the main subject) or ``passing`` (named in passing). Articles are
referenced, never copied: ``fnspid:ROW`` (../shared/data/news/fnspid_sample, read at run time only, CC BY-NC),
``reuters2020:ROW`` / ``cnbc2020:ROW`` (../shared/data/news/headlines_2020: headline + description), each with the
sha1 of its text so a changed file is noticed; ``own:ID`` are texts written for the project (``own_texts.yaml``).
Each article's pairs are all in one split (``dev`` / ``heldout``).

Figures on a split: accuracy of the subject-vs-passing call (score >= 50 is "subject"; the pairs labelled
``significant`` are left out of it) and Spearman's rho between score and label (passing 0 < significant 1 < subject
2), for the model and for two naive peers: the mention count (threshold chosen on dev) and "in the headline".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
GOLD = ROOT / "tests" / "gold" / "entity_relevance"
RANK = {"passing": 0, "significant": 1, "subject": 2}


def fnspid_title(url: str) -> str:
    """The headline a Nasdaq URL's slug spells ("apples-aapl-q1-earnings-beat" -> "Apples Aapl Q1 Earnings Beat")."""
    from urllib.parse import unquote

    slug = unquote(url.rstrip("/").rsplit("/", 1)[-1])
    return " ".join(word[:1].upper() + word[1:] for word in slug.replace("-", " ").split())


def load_articles(refs: set[str], data: Path) -> dict[str, tuple[str, str, str]]:
    """``ref -> (title, text, sha1)`` for the referenced articles (the shared files are read, never copied)."""
    import pandas as pd

    out: dict[str, tuple[str, str, str]] = {}
    own = yaml.safe_load((GOLD / "own_texts.yaml").read_text(encoding="utf-8"))
    for item in own:
        out[f"own:{item['id']}"] = (item["title"], item.get("text", ""), "")
    frames: dict[str, Any] = {}
    for ref in refs:
        source, _, row = ref.partition(":")
        if source == "own":
            continue
        if source not in frames:
            if source == "fnspid":
                frames[source] = pd.read_csv(data / "news" / "fnspid_sample" / "aapl_news_contents.csv")
            else:
                name = {"reuters2020": "reuters_headlines.csv", "cnbc2020": "cnbc_headlines.csv"}[source]
                frames[source] = pd.read_csv(
                    data / "news" / "headlines_2020" / name, encoding="utf-8", encoding_errors="replace"
                )
        record = frames[source].loc[int(row)]
        if source == "fnspid":
            title, text = fnspid_title(record["Url"]), str(record["Text"])
        else:
            title = str(record["Headlines"]).strip()
            text = "" if pd.isna(record["Description"]) else str(record["Description"]).strip()
        out[ref] = (title, text, hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:12])
    return out


def gold_pairs(split: str | None = None) -> list[dict[str, Any]]:
    pairs = yaml.safe_load((GOLD / "pairs.yaml").read_text(encoding="utf-8"))
    return [p for p in pairs if split in (None, "all", p["split"])]


def extract_pairs(pairs: list[dict[str, Any]], data: Path) -> list[dict[str, Any]]:
    """Each pair with the features and score the code gives its entity (features None when it is not found)."""
    sys.path.insert(0, str(ROOT / "src"))
    from narrative.nlp.entity_relevance import entity_relevance
    from narrative.nlp.pipeline import Extractor

    refs = sorted({p["article"] for p in pairs})
    articles = load_articles(set(refs), data)
    extractor = Extractor.load()
    results = {}
    for ref, extraction in zip(refs, extractor.extract_many((articles[r][0], articles[r][1], "en") for r in refs)):
        title = articles[ref][0]
        results[ref] = {
            f"{'id' if r.entity_id else 'name'}:{r.entity_key}": r
            for r in entity_relevance(extraction, title_chars=len(title))
        }
    out = []
    for pair in pairs:
        sha = articles[pair["article"]][2]
        if pair.get("sha1") and sha != pair["sha1"]:
            raise SystemExit(f"{pair['article']}: the shared file changed (sha1 {sha} != {pair['sha1']})")
        found = results[pair["article"]].get(pair["entity"])
        out.append({**pair, "found": found})
    return out


def fit(rows: list[dict[str, Any]], *, c_values=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0)) -> dict[str, Any]:
    """Multinomial logistic regression on standardised features, C chosen by 5-fold grouped CV on dev."""
    import numpy as np
    from scipy.stats import spearmanr
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    from narrative.nlp.entity_relevance import FEATURES, LABELS

    rows = [r for r in rows if r["found"] is not None]
    features = np.array([[r["found"].features[f] for f in FEATURES] for r in rows])
    y = np.array([r["label"] for r in rows])
    groups = [r["article"] for r in rows]
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    standardised = (features - mean) / scale
    best = None
    for c in c_values:
        model = LogisticRegression(C=c, max_iter=5000)
        prob = cross_val_predict(model, standardised, y, groups=groups, cv=GroupKFold(5), method="predict_proba")
        classes = sorted(set(y))
        score = [100 * (p[classes.index("subject")] + p[classes.index("significant")] / 2) for p in prob]
        rho = spearmanr(score, [RANK[label] for label in y]).statistic
        print(f"  C={c}: dev cross-validated Spearman {rho:.3f}")
        if best is None or rho > best[0]:
            best = (rho, c)
    model = LogisticRegression(C=best[1], max_iter=5000).fit(standardised, y)
    order = [list(model.classes_).index(label) for label in LABELS]
    return {
        "features": list(FEATURES),
        "classes": list(LABELS),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "coef": model.coef_[order].round(6).tolist(),
        "intercept": model.intercept_[order].round(6).tolist(),
        "C": best[1],
        "dev_pairs": len(rows),
        "fitted_by": "scripts/eval_entity_relevance.py --fit",
    }


def figures(rows: list[dict[str, Any]], count_threshold: float) -> dict[str, dict[str, float]]:
    """Model and naive peers on ``rows``: subject-vs-passing accuracy and Spearman with the label."""
    from scipy.stats import spearmanr

    def score(r, how):
        found = r["found"]
        if found is None:
            return 0.0
        return {"model": found.relevance, "mentions": found.mentions, "headline": float(found.in_title)}[how]

    cut = {"model": 50, "mentions": count_threshold, "headline": 1.0}
    out = {}
    for how in ("model", "mentions", "headline"):
        calls = [(score(r, how) >= cut[how]) == (r["label"] == "subject") for r in rows if r["label"] != "significant"]
        rho = spearmanr([score(r, how) for r in rows], [RANK[r["label"]] for r in rows]).statistic
        out[how] = {
            "accuracy": sum(calls) / len(calls),
            "spearman": float(rho),
            "pairs": len(rows),
            "subject_vs_passing_pairs": len(calls),
        }
    return out


def best_count_threshold(rows: list[dict[str, Any]]) -> float:
    """The mention count from which the naive peer says "subject", chosen for accuracy on dev."""
    decided = [r for r in rows if r["label"] != "significant"]
    counts = [r["found"].mentions if r["found"] else 0 for r in decided]
    return max(
        sorted(set(counts)) or [1],
        key=lambda t: sum((c >= t) == (r["label"] == "subject") for c, r in zip(counts, decided)),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="heldout", choices=["dev", "heldout", "all"])
    parser.add_argument("--fit", action="store_true", help="refit the weights on the dev split and write them")
    parser.add_argument("--candidates", nargs="*", help="print the entities the extractor finds in these articles")
    parser.add_argument("--bench", action="store_true", help="time what relevance adds to extraction")
    parser.add_argument("--repeat", type=int, default=3, help="--bench: best of this many runs")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.candidates:
        return show_candidates(args.candidates, args.data)
    if args.bench:
        return bench(args.data, args.repeat)
    if args.fit:
        model = fit(extract_pairs(gold_pairs("dev"), args.data))
        path = ROOT / "models" / "entity_relevance" / "weights.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path} (C={model['C']}, {model['dev_pairs']} dev pairs)")
        return 0
    threshold = best_count_threshold(extract_pairs(gold_pairs("dev"), args.data))
    rows = extract_pairs(gold_pairs(args.split), args.data)
    result = figures(rows, threshold)
    missing = sum(r["found"] is None for r in rows)
    if args.json:
        print(json.dumps({"split": args.split, "count_threshold": threshold, "not_found": missing, **result}))
        return 0
    print(
        f"{args.split}: {len(rows)} pairs, {len(result['model']) and result['model']['subject_vs_passing_pairs']} "
        f"subject-or-passing; {missing} entities not found by the extractor (scored 0)"
    )
    for how, label in (
        ("model", "relevance model (score >= 50)"),
        ("mentions", f"mention count >= {threshold}"),
        ("headline", "named in the headline"),
    ):
        print(
            f"  {label:32s} subject-vs-passing accuracy {result[how]['accuracy']:.3f}   "
            f"Spearman {result[how]['spearman']:.3f}"
        )
    if args.verbose:
        for r in sorted(rows, key=lambda r: (r["label"], r["found"].relevance if r["found"] else -1)):
            score = r["found"].relevance if r["found"] else None
            print(f"    {r['label']:12s} {score!s:>4} {r['article']:16s} {r['entity']}")
    return 0


def bench(data: Path, repeat: int) -> int:
    """Best-of-``repeat`` seconds, on every gold article: extraction with and without the dependency roles
    (alternated), the relevance scoring of the extractions, and writing the rows into an in-memory store."""
    import time

    import narrative.nlp.entities as entities
    from narrative.nlp.entity_relevance import entity_relevance, syntactic_role
    from narrative.nlp.pipeline import Extractor
    from narrative.store import open_db
    from narrative.store.entity_relevance import save_article_entities

    refs = sorted({p["article"] for p in gold_pairs()})
    articles = load_articles(set(refs), data)
    inputs = [(articles[r][0], articles[r][1], "en") for r in refs]
    extractor = Extractor.load()
    list(extractor.extract_many(inputs))  # warm-up
    best = {
        "extract (with roles)": float("inf"),
        "extract (roles off)": float("inf"),
        "relevance": float("inf"),
        "store rows": float("inf"),
    }
    for _ in range(repeat):
        for label, role in (("extract (roles off)", lambda span: None), ("extract (with roles)", syntactic_role)):
            entities.syntactic_role = role
            started = time.perf_counter()
            extractions = list(extractor.extract_many(inputs))
            best[label] = min(best[label], time.perf_counter() - started)
        started = time.perf_counter()
        found = [entity_relevance(e, title_chars=len(t)) for e, (t, _, _) in zip(extractions, inputs)]
        best["relevance"] = min(best["relevance"], time.perf_counter() - started)
        db = open_db(":memory:")
        db.execute(
            "INSERT INTO articles (id, title, published, published_source, title_hash, content_hash, "
            "first_seen_at, updated_at, ingest_version) SELECT value, 't', '2025-01-01', 'x', 'h', 'c', "
            "'2025', '2025', 'v' FROM json_each(?)",
            [json.dumps(list(range(1, len(found) + 1)))],
        )
        started = time.perf_counter()
        with db.atomic():
            for n, rows in enumerate(found, start=1):
                save_article_entities(db, n, rows, version="bench")
        best["store rows"] = min(best["store rows"], time.perf_counter() - started)
    spent = [0.0]

    def timed_role(span):
        started = time.perf_counter()
        try:
            return syntactic_role(span)
        finally:
            spent[0] += time.perf_counter() - started

    entities.syntactic_role = timed_role
    list(extractor.extract_many(inputs))
    best["roles alone"] = spent[0]
    entities.syntactic_role = syntactic_role
    chars = sum(len(t) + len(x) for t, x, _ in inputs)
    print(f"{len(inputs)} articles, {chars:,} characters; best of {repeat}")
    base = best["extract (roles off)"]
    for label, seconds in best.items():
        added = seconds - base if label == "extract (with roles)" else seconds
        share = "" if label == "extract (roles off)" else f"  (+{100 * added / base:.1f}% of extraction)"
        print(f"  {label:22s} {seconds:.3f}s{share}")
    return 0


def show_candidates(refs: list[str], data: Path) -> int:
    from narrative.nlp.entity_relevance import entity_relevance
    from narrative.nlp.pipeline import Extractor

    articles = load_articles(set(refs), data)
    extractor = Extractor.load()
    for ref in refs:
        title, text, sha = articles[ref]
        extraction = extractor.extract(title, text, "en")
        print(f"=== {ref} sha1={sha}\nTITLE: {title}\nTEXT: {text[:3000]}")
        for r in entity_relevance(extraction, title_chars=len(title)):
            key = f"{'id' if r.entity_id else 'name'}:{r.entity_key}"
            roles = ",".join(
                m.role or "-" for m in extraction.mentions if (m.entity_id or m.name.lower()) == r.entity_key
            )
            print(f"  {key:40s} {r.label:8s} n={r.mentions} title={int(r.in_title)} s0={r.first_sentence} {roles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
