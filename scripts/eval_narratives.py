#!/usr/bin/env python
"""Relevance and stance of the narrative scorer on the HELD-OUT halves (issue 9), per narrative,
English and Chinese apart, with the old rule-based scorer's figures where it existed.

Definitions (one place):
  relevant  = relevance >= 0.5 (narrative.nlp.stance.SENTENCE_RELEVANT, the cut the index uses);
  stance    = label of the score: positive >= +0.15, negative <= -0.15, neutral in between
              (narrative.nlp.stance.NEUTRAL_BAND), compared with the gold label among gold-relevant
              sentences.
Each labelled text is scored as a title-only article through ``api.analyze`` (the enrich code path).

The OLD scorer runs from a git worktree of the commit before issue 9 (``--before``, made with
``git worktree add /tmp/narr_before ab7fb96``), in its own process, on the same texts; it only knew
china-ai. Old relevance is shown at the same >= 0.5 cut and at > 0 (what old ``enrich`` counted).

Also scores tests/gold/narratives/real_2020.jsonl (references to real 2020 headlines, read from
../shared at run time; skipped when ../shared is absent).

    .venv/bin/python scripts/eval_narratives.py [--split heldout|dev|dev2|dev3] [--before /tmp/narr_before]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from narrative.api.analyze import analyze  # noqa: E402
from narrative.catalog import load_narratives  # noqa: E402
from narrative.nlp.stance import NEUTRAL_BAND, SENTENCE_RELEVANT, stance_label  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "narratives"
SHARED_NEWS = ROOT.parent / "shared" / "data" / "news"
TARGET_F1, TARGET_STANCE = 0.90, 0.85

OLD_RUNNER = r"""
import json, sys, tempfile, os
from narrative import api
texts = json.load(sys.stdin)
folder = tempfile.mkdtemp()
archive = os.path.join(folder, "texts.jsonl")
with open(archive, "w", encoding="utf-8") as fh:
    for n, text in enumerate(texts):
        fh.write(json.dumps({"url": f"https://eval.example.test/{n}", "title": text,
                             "published": "2025-01-01T00:00:00+00:00"}) + "\n")
db = os.path.join(folder, "old.db")
api.import_archive(archive, db_path=db, source="eval")
import sqlite3
conn = sqlite3.connect(db)
rows = dict((int(url.rsplit("/", 1)[1]), (rel, st)) for url, rel, st in conn.execute(
    "SELECT a.url, s.relevance, s.stance FROM article_scores s JOIN articles a ON a.id = s.article_id"))
json.dump([rows.get(n, (0.0, 0.0)) for n in range(len(texts))], sys.stdout)
"""


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def metrics(
    rows: list[dict], relevance: list[float], stance: list[float], cut: float = SENTENCE_RELEVANT, strict: bool = False
) -> dict:
    """P/R/F1 of relevance (>= cut, or > cut when strict) and stance accuracy among gold-relevant rows."""
    predicted = [(r > cut) if strict else (r >= cut) for r in relevance]
    gold = [bool(row["relevant"]) for row in rows]
    tp = sum(p and g for p, g in zip(predicted, gold))
    precision = tp / sum(predicted) if sum(predicted) else 0.0
    recall = tp / sum(gold) if sum(gold) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    among = [(stance_label(s), row["stance"]) for s, row in zip(stance, rows) if row["relevant"]]
    accuracy = sum(p == g for p, g in among) / len(among) if among else float("nan")
    return {
        "n": len(rows),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "stance_acc": accuracy,
        "stance_n": len(among),
    }


def score_new(texts: list[str], narrative: str) -> tuple[list[float], list[float]]:
    results = analyze(texts, narrative_id=narrative)
    return [r["relevance"] for r in results], [r["stance"] for r in results]


def score_old(texts: list[str], before: Path) -> tuple[list[float], list[float]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(before / "src"),
        "NARRATIVE_MODELS": str(before / "models"),
        "NARRATIVE_NARRATIVE": "china-ai",
    }
    with tempfile.TemporaryDirectory() as home:
        env["NARRATIVE_HOME"] = home
        out = subprocess.run(
            [sys.executable, "-c", OLD_RUNNER],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            check=True,
        )
    pairs = json.loads(out.stdout)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def real_2020() -> list[dict]:
    """The labelled real headlines, with their text read from ../shared (None when not found)."""
    path = GOLD / "real_2020.jsonl"
    if not path.is_file() or not SHARED_NEWS.is_dir():
        return []
    cache: dict[str, list[str]] = {}
    rows = []
    for ref in read_jsonl(path):
        if ref["file"] not in cache:
            with open(SHARED_NEWS / ref["file"], encoding="cp1252", newline="") as fh:
                cache[ref["file"]] = [(row.get("Headlines") or "").strip() for row in csv.DictReader(fh)]
        headlines = cache[ref["file"]]
        text = None
        for candidate in ([headlines[ref["row"]]] if ref["row"] < len(headlines) else []) + headlines:
            if hashlib.sha1(candidate.encode("utf-8")).hexdigest() == ref["sha1"]:
                text = candidate
                break
        if text:
            rows.append({**ref, "text": text, "lang": "en"})
    return rows


def table(results: dict) -> str:
    lines = [
        "| narrative | scorer | lang | n | relevance P | R | F1 | stance acc (n) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (narrative, scorer, lang), m in results.items():
        lines.append(
            f"| {narrative} | {scorer} | {lang} | {m['n']} | {m['precision']:.3f} | {m['recall']:.3f} | "
            f"{m['f1']:.3f} | {m['stance_acc']:.3f} ({m['stance_n']}) |"
        )
    return "\n".join(lines)


def worst(rows, relevance, stance, k: int = 5) -> list[str]:
    misses = []
    for row, rel, st in zip(rows, relevance, stance):
        if (rel >= SENTENCE_RELEVANT) != bool(row["relevant"]):
            misses.append(
                (
                    abs(rel - SENTENCE_RELEVANT),
                    f"relevance {rel:.2f}, gold {'relevant' if row['relevant'] else 'irrelevant'}"
                    f" ({row.get('style', '-')}, {row['lang']}): {row['text']}",
                )
            )
        elif row["relevant"] and stance_label(st) != row["stance"]:
            misses.append(
                (
                    abs(st),
                    f"stance {st:+.2f}, gold {row['stance']} ({row.get('style', '-')}, {row['lang']}): {row['text']}",
                )
            )
    return [text for _, text in sorted(misses, key=lambda m: -m[0])[:k]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["heldout", "dev", "dev2", "dev3"], default="heldout")
    parser.add_argument(
        "--before",
        type=Path,
        default=Path("/tmp/narr_before"),
        help="worktree of the pre-issue-9 commit, for the old scorer's figures",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results: dict[tuple[str, str, str], dict] = {}
    analysis: dict[str, list[str]] = {}
    for narrative in load_narratives():
        path = GOLD / f"{narrative.id.replace('-', '_')}.{args.split}.jsonl"
        if not path.is_file():
            print(f"(no {path.name})", file=sys.stderr)
            continue
        rows = read_jsonl(path)
        texts = [r["text"] for r in rows]
        relevance, stance = score_new(texts, narrative.id)
        scorers = [("new", relevance, stance, False)]
        if narrative.id == "china-ai" and (args.before / "src" / "narrative").is_dir():
            old_rel, old_st = score_old(texts, args.before)
            scorers += [("old (rel >= 0.5)", old_rel, old_st, False), ("old (rel > 0)", old_rel, old_st, True)]
        for name, rel, st, strict in scorers:
            for lang in ("en", "zh", "all"):
                pick = [i for i, r in enumerate(rows) if lang == "all" or r["lang"] == lang]
                results[(narrative.id, name, lang)] = metrics(
                    [rows[i] for i in pick],
                    [rel[i] for i in pick],
                    [st[i] for i in pick],
                    cut=0.0 if strict else SENTENCE_RELEVANT,
                    strict=strict,
                )
        analysis[narrative.id] = worst(rows, relevance, stance)
    real = real_2020()
    if real:
        relevance, stance = score_new([r["text"] for r in real], "china-ai")
        mine = [i for i, r in enumerate(real) if r["narrative"] == "china-ai"]
        results[("china-ai real 2020", "new", "en")] = metrics(
            [real[i] for i in mine], [relevance[i] for i in mine], [stance[i] for i in mine]
        )
        if (args.before / "src" / "narrative").is_dir():
            old_rel, old_st = score_old([real[i]["text"] for i in mine], args.before)
            results[("china-ai real 2020", "old (rel > 0)", "en")] = metrics(
                [real[i] for i in mine], old_rel, old_st, cut=0.0, strict=True
            )
        analysis["china-ai real 2020"] = worst(
            [real[i] for i in mine], [relevance[i] for i in mine], [stance[i] for i in mine]
        )
    print(
        f"split: {args.split}; relevant = relevance >= {SENTENCE_RELEVANT}; neutral band |stance| < {NEUTRAL_BAND}; "
        f"targets F1 >= {TARGET_F1}, stance accuracy >= {TARGET_STANCE}\n"
    )
    print(table(results))
    for name, misses in analysis.items():
        print(f"\nworst misses, {name}:")
        for miss in misses:
            print(f"  - {miss}")
    if args.json:
        args.json.write_text(json.dumps({"|".join(k): v for k, v in results.items()}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
