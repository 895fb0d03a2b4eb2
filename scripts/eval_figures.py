"""Evaluate figure extraction (issue 10 item 3): value + unit on the project's figure gold and on quantulum3's
cases, with quantulum3 itself run on the same text as the plain-library baseline, and a speed bench.

    .venv/bin/python scripts/eval_figures.py                       # gold (dev and held-out) + quantulum3 + baseline
    .venv/bin/python scripts/eval_figures.py --src /tmp/fig_before/src   # the same with another checkout's code
    .venv/bin/python scripts/eval_figures.py --bench-against /tmp/fig_before/src   # speed ratio, one process each
    (with --src, the "after" side of --bench-against is that folder instead of this checkout's src/)

Gold: ``tests/gold/figures/{dev,heldout}.jsonl`` (guidelines in its README). Scope: percents (%, pp, bp), money (ISO
code), multiples (x), and counts written with a magnitude word. A predicted count or index level that matches no
gold figure is out of scope and not counted as a false positive (the number of them is printed). A match needs the
same unit and a value within 1e-6 relative (signed: "-22.2%" is -22.2). Direction accuracy is over matched figures
whose gold gives one. quantulum3 (``../shared/data/numbers/quantulum3``): the cases whose expected quantities are
percents, currencies or magnitude-worded counts; other quantities (metres, hours) are out of scope.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold" / "figures"
TARGETS = {"en": 0.95, "zh": 0.90}
OUT_OF_SCOPE_UNITS = {"count", "points"}


class PRF:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    @property
    def f1(self) -> float:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return f"F1 {self.f1:.3f} (P {p:.3f}, R {r:.3f}; tp {self.tp} fp {self.fp} fn {self.fn})"


def close(a: float, b: float) -> bool:
    return a == b if b == 0 else abs(a - b) <= 1e-6 * abs(b)


def values(figure: dict) -> list[float]:
    """The value, and for a range also its midpoint: quantulum3 states "from 50 to 80%" as 65."""
    if figure.get("value_high") is None:
        return [figure["value"]]
    return [figure["value"], (figure["value"] + figure["value_high"]) / 2]


def match(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs of (gold, predicted) with the same unit and value."""
    pairs, used = [], set()
    for g, want in enumerate(gold):
        for p, got in enumerate(pred):
            if p not in used and got["unit"] == want["unit"] and any(close(v, want["value"]) for v in values(got)):
                pairs.append((g, p))
                used.add(p)
                break
    return pairs


def score(items: list[dict], predictions: list[list[dict]], verbose: bool = False) -> dict:
    """Value+unit PRF per language, direction accuracy, out-of-scope predictions ignored."""
    prf, direction, ignored, errors = defaultdict(PRF), defaultdict(Counter), Counter(), []
    for item, pred in zip(items, predictions):
        gold, language = item["figures"], item["language"]
        pairs = match(gold, pred)
        matched_p = {p for _, p in pairs}
        extra = [f for i, f in enumerate(pred) if i not in matched_p]
        in_scope = [f for f in extra if f["unit"] not in OUT_OF_SCOPE_UNITS]
        ignored[language] += len(extra) - len(in_scope)
        prf[language].add(len(pairs), len(in_scope), len(gold) - len(pairs))
        for g, p in pairs:
            if gold[g].get("direction") and "direction" in pred[p]:
                ok = pred[p].get("direction") == gold[g]["direction"]
                direction[language]["ok" if ok else "bad"] += 1
                if not ok:
                    errors.append(
                        f"  DIR  {item['id']}: {gold[g]['value']:g} {gold[g]['unit']} is "
                        f"{gold[g]['direction']}, got {pred[p].get('direction')}  in {item['text']!r}"
                    )
        matched_g = {g for g, _ in pairs}
        for g, want in enumerate(gold):
            if g not in matched_g:
                errors.append(f"  MISS {item['id']}: {want['value']:g} {want['unit']}  in {item['text']!r}")
        for f in in_scope:
            errors.append(
                f"  FP   {item['id']}: {f['value']:g} {f['unit']} ({f.get('surface')!r})  in {item['text']!r}"
            )
    if verbose:
        print("\n".join(errors))
    return {"prf": prf, "direction": direction, "ignored": ignored}


def load_gold(half: str) -> list[dict]:
    return [json.loads(line) for line in (GOLD / f"{half}.jsonl").read_text(encoding="utf-8").splitlines() if line]


def ours(texts: list[tuple[str, str]]) -> list[list[dict]]:
    from narrative.nlp.pipeline import Extractor

    extractor = Extractor.load()
    results = extractor.extract_many(("", text, language) for text, language in texts)
    return [
        [
            {
                "value": f.value,
                "value_high": f.value_high,
                "unit": f.unit,
                "direction": f.direction,
                "surface": f.surface,
            }
            for f in r.figures
        ]
        for r in results
    ]


# quantulum3 unit names -> ours (currencies come with their ISO code)
_QUANTULUM_UNITS = {"percentage": "%", "percentage point": "pp", "basis point": "bp"}
_MAGNITUDE_WORD = re.compile(r"\b(hundred|thousand|million|billion|trillion)\b", re.I)


def quantulum_figure(quantity) -> dict | None:
    """A quantulum3 quantity as one of our figures, or None when out of scope."""
    unit = quantity.unit
    if unit.name in _QUANTULUM_UNITS:
        return {"value": float(quantity.value), "unit": _QUANTULUM_UNITS[unit.name]}
    if unit.entity.name == "currency" and getattr(unit, "currency_code", None):
        return {"value": float(quantity.value), "unit": unit.currency_code}
    if unit.name == "cent":
        return {"value": float(quantity.value) / 100, "unit": "USD"}
    if unit.name == "dimensionless" and _MAGNITUDE_WORD.search(quantity.surface):
        return {"value": float(quantity.value), "unit": "count"}
    return None


def baseline(texts: list[str]) -> list[list[dict]]:
    from quantulum3 import classifier, parser

    # quantulum3's shipped unit classifier is a pickle that the installed scikit-learn cannot load; its own
    # fallback (dictionary disambiguation) is what runs here.
    classifier.USE_CLF = False
    return [[f for f in map(quantulum_figure, parser.parse(text)) if f] for text in texts]


def quantulum_items(data: Path) -> list[dict]:
    """quantulum3's cases whose expected quantities are in scope, as gold items."""
    items = []
    for name in ("quantities.json", "quantities.ambiguity.json"):
        path = data / "numbers" / "quantulum3" / name
        for n, case in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            expected = [quantulum_expected(q) for q in case["res"]]
            if any(expected):
                items.append(
                    {"id": f"{name}#{n}", "language": "en", "text": case["req"], "figures": [e for e in expected if e]}
                )
    return items


def quantulum_expected(quantity: dict) -> dict | None:
    names = {
        "percentage": "%",
        "dollar": "USD",
        "euro": "EUR",
        "pound sterling": "GBP",
        "yen": "JPY",
        "japanese yen": "JPY",
        "yuan": "CNY",
        "renminbi": "CNY",
        "chinese yuan": "CNY",
    }
    unit = quantity.get("unit")
    if unit in names:
        return {"value": float(quantity["value"]), "unit": names[unit]}
    if unit == "dimensionless" and _MAGNITUDE_WORD.search(quantity.get("surface", "")):
        return {"value": float(quantity["value"]), "unit": "count"}
    return None


def report(title: str, items: list[dict], predictions: list[list[dict]], verbose: bool) -> dict:
    result = score(items, predictions, verbose)
    for language in sorted(result["prf"]):
        d = result["direction"][language]
        directions = f"; direction {d['ok']}/{d['ok'] + d['bad']}" if d["ok"] + d["bad"] else ""
        print(
            f"{title:<28} [{language}] value+unit {result['prf'][language].line()}{directions}; "
            f"{result['ignored'][language]} out-of-scope counts/levels ignored"
        )
    return result


def bench(repeat: int) -> dict:
    """CPU seconds (the machine is shared, so not wall time) spent in figure extraction (English and Chinese; this
    thread's time, as onnxruntime's threads spin meanwhile) and in the whole extractor (process time), on the gold texts
    repeated ``repeat`` times; the figure steps are timed by wrapping them where the pipeline calls them."""
    from narrative.nlp import chinese, pipeline

    spent = Counter()

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.thread_time() - start

        return wrapper

    pipeline.extract_figures = timed("figures_en", pipeline.extract_figures)
    # the Chinese path has no public hook for its figure step: time the private function in place
    chinese._figures = timed("figures_zh", chinese._figures)  # noqa: SLF001
    items = load_gold("dev") + load_gold("heldout")
    extractor = pipeline.Extractor.load()
    warm_up = [i for i in items if i["language"] == "en"][:10] + [i for i in items if i["language"] == "zh"][:10]
    list(extractor.extract_many(("", i["text"], i["language"]) for i in warm_up))  # LAC, compiled patterns
    spent.clear()
    start, start_thread = time.process_time(), time.thread_time()
    for _ in range(repeat):
        list(extractor.extract_many(("", i["text"], i["language"]) for i in items))
    spent["extract_total"] = time.process_time() - start
    spent["extract_thread"] = time.thread_time() - start_thread
    return dict(spent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, help="import narrative from this src/ folder (e.g. an older checkout)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-baseline", action="store_true", help="skip quantulum3 run as the plain baseline")
    parser.add_argument("--bench", type=int, metavar="N", help="only time extraction, gold texts N times (JSON out)")
    parser.add_argument(
        "--bench-against",
        type=Path,
        metavar="SRC",
        help="time this code and SRC's, each in its own process, and print the ratio",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and false positives")
    args = parser.parse_args(argv)
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
    if args.bench:
        print(json.dumps(bench(args.bench)))
        return 0
    if args.bench_against:
        # before and after alternate, twice, each in a fresh process; the faster of the two runs counts (the
        # machine is shared, so the slower one mostly measures the neighbours)
        runs: dict[str, dict] = {}
        for name, src in (("before", args.bench_against), ("after", args.src or ROOT / "src")) * 2:
            out = subprocess.run(
                [sys.executable, __file__, "--src", str(src), "--bench", "5"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            timing = json.loads(out.strip().splitlines()[-1])
            runs[name] = {k: min(v, runs.get(name, {}).get(k, v)) for k, v in timing.items()}
        for key in ("figures_en", "figures_zh", "extract_thread", "extract_total"):
            before, after = runs["before"].get(key, 0.0), runs["after"].get(key, 0.0)
            print(f"{key:<14} before {before:7.3f}s  after {after:7.3f}s  ratio {after / before if before else 0:.2f}")
        b, a = runs["before"], runs["after"]
        figures_before, figures_after = b["figures_en"] + b["figures_zh"], a["figures_en"] + a["figures_zh"]
        print(
            f"figures share of extraction: before {figures_before / b['extract_thread']:.1%}, "
            f"after {figures_after / a['extract_thread']:.1%} (of this thread's time); extraction cost with the new "
            f"figures, other steps as before: "
            f"{(b['extract_thread'] - figures_before + figures_after) / b['extract_thread']:.2f}x"
        )
        print("(extract_total runs each checkout's whole extractor, so it also moves with changes outside figures)")
        return 0
    import narrative

    print(f"narrative from {Path(narrative.__file__).parent}")
    summary = {}
    for half in ("dev", "heldout"):
        items = load_gold(half)
        result = report(
            f"gold {half} ({len(items)})",
            items,
            ours([(i["text"], i["language"]) for i in items]),
            args.verbose and half == "dev",
        )
        summary[half] = result
        if not args.no_baseline:
            en = [i for i in items if i["language"] == "en"]
            report(f"  quantulum3 on gold {half}", en, baseline([i["text"] for i in en]), False)
    if (args.data / "numbers" / "quantulum3").exists():
        items = quantulum_items(args.data)
        report(f"quantulum3 cases ({len(items)})", items, ours([(i["text"], "en") for i in items]), args.verbose)
        if not args.no_baseline:
            report("  quantulum3 itself", items, baseline([i["text"] for i in items]), False)
    else:
        print(f"(no {args.data / 'numbers' / 'quantulum3'}: quantulum3 cases skipped)")
    held = summary["heldout"]["prf"]
    for language, target in TARGETS.items():
        f1 = held[language].f1
        print(
            f"target held-out [{language}] value+unit F1 >= {target}: {f1:.3f} {'met' if f1 >= target else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
