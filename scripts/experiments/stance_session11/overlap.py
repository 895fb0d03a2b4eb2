"""Drop corpus lines that come near any gold sentence (dev, dev2, dev3, held-out, real 2020 headlines) or repeat
a YAML example or another corpus line. Prints only corpus text, never gold text.

    .venv/bin/python scripts/experiments/stance_session11/overlap.py IN.jsonl... --out-dir DIR
"""

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))
from eval_narratives import real_2020
from narrative.catalog import load_narratives
from narrative.nlp.encoder import encode
from narrative.nlp.narrative_text import scoring_texts

JACCARD, COSINE = 0.5, 0.8


def flat(t):
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", t).casefold())


def grams(t):
    f = flat(t)
    return {f[i : i + 3] for i in range(max(1, len(f) - 2))}


p = argparse.ArgumentParser()
p.add_argument("files", nargs="+")
p.add_argument("--out-dir", required=True)
a = p.parse_args()

gold = []
for f in sorted((ROOT / "tests" / "gold" / "narratives").glob("*.jsonl")):
    if f.name == "real_2020.jsonl":
        continue
    gold += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
gold += [r["text"] for r in real_2020()]
examples = []
for n in load_narratives():
    ex = n.examples
    for lab in ("positive", "negative", "neutral", "irrelevant"):
        examples += list(getattr(ex, lab))
print(f"{len(gold)} gold sentences, {len(examples)} YAML examples", flush=True)
gold_grams = [grams(t) for t in gold]
gold_vec = encode(scoring_texts(gold))
ex_flat = {flat(t) for t in examples}
out_dir = Path(a.out_dir)
out_dir.mkdir(parents=True, exist_ok=True)
seen = set()
for f in a.files:
    rows = [json.loads(line) for line in open(f, encoding="utf-8") if line.strip()]
    vec = encode(scoring_texts([r["text"] for r in rows]))
    cos = vec @ gold_vec.T
    kept, dropped = [], 0
    for r, c in zip(rows, cos):
        g = grams(r["text"])
        jac = max(len(g & o) / len(g | o) for o in gold_grams)
        why = None
        if jac >= JACCARD or c.max() >= COSINE:
            why = f"near a gold sentence (jaccard {jac:.2f}, cosine {c.max():.2f})"
        elif flat(r["text"]) in ex_flat:
            why = "repeats a YAML example"
        elif flat(r["text"]) in seen:
            why = "repeats a corpus line"
        if why:
            dropped += 1
            print(f"  drop {Path(f).name}: {why}: {r['text']}")
            continue
        seen.add(flat(r["text"]))
        kept.append(r)
    (out_dir / Path(f).name).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8"
    )
    print(f"{Path(f).name}: kept {len(kept)}, dropped {dropped}", flush=True)
