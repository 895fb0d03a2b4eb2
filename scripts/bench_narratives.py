#!/usr/bin/env python
"""Per-sentence cost of narrative scoring, now vs before issue 9, on the same sentences.

Each version runs in its own process (the old one from a git worktree of the pre-issue-9 commit,
``git worktree add /tmp/narr_before ab7fb96``): import the sentences as title-only articles, extract
(not timed), then time ``score_db(..., force=True)`` -- sentiment, relevance, stance and writes -- after
one warm-up pass that loads the models. The new scorers' prepared narratives (encoded examples and corpus,
fitted classifier) are made once per version by an untimed run before the timed ones, and read from a cache
folder after that, as a user's second run reads them. The best of ``--repeat`` timed passes is reported;
versions alternate so that load from other processes on the machine hits both alike.

    .venv/bin/python scripts/bench_narratives.py [--before /tmp/narr_before] [--repeat 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold" / "narratives"

RUNNER = r"""
import json, os, sys, time
from narrative import api
from narrative.api.score import score_db
import narrative.api.score as score_module
from narrative.store import open_db
texts, repeat = json.load(sys.stdin), int(sys.argv[1])
folder = os.getcwd()
archive = os.path.join(folder, "bench.jsonl")
with open(archive, "w", encoding="utf-8") as fh:
    for n, text in enumerate(texts):
        fh.write(json.dumps({"url": f"https://bench.example.test/{n}", "title": text,
                             "published": "2025-01-01T00:00:00+00:00"}) + "\n")
db_path = os.path.join(folder, "bench.db")
api.import_archive(archive, db_path=db_path, source="bench", enrich=False)
api.enrich(db_path=db_path, score=False)
db = open_db(db_path)
warm = score_db(db, narrative_id="china-ai", force=True)
best = None
for _ in range(repeat):
    for model in getattr(score_module, "_MODELS", {}).values():
        getattr(model, "clear_cache", lambda: None)()  # sentence scores kept from the last pass would be free
    started = time.perf_counter()
    summary = score_db(db, narrative_id="china-ai", force=True)
    elapsed = time.perf_counter() - started
    best = elapsed if best is None else min(best, elapsed)
json.dump({"sentences": summary.sentences, "seconds": best, "version": summary.version}, sys.stdout)
"""


def run(texts: list[str], src: Path, models: Path, repeat: int, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "NARRATIVE_MODELS": str(models), "NARRATIVE_NARRATIVE": "china-ai"}
    env["NARRATIVE_NARRATIVE_CACHE"] = str(cache)  # prepared narratives, kept across a version's runs
    with tempfile.TemporaryDirectory() as folder:
        env["NARRATIVE_HOME"] = folder
        out = subprocess.run(
            [sys.executable, "-c", RUNNER, str(repeat)],
            input=json.dumps(texts),
            text=True,
            capture_output=True,
            env=env,
            cwd=folder,
        )
    if out.returncode:
        raise SystemExit(f"bench run failed ({src}):\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=Path("/tmp/narr_before"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    texts = [
        json.loads(line)["text"]
        for path in sorted(GOLD.glob("*.dev.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    versions = {"now": (ROOT / "src", ROOT / "models")}
    if (args.before / "src" / "narrative").is_dir():
        versions["before"] = (args.before / "src", args.before / "models")
    else:
        print(f"(no worktree at {args.before}: 'now' only)", file=sys.stderr)
    best: dict[str, dict] = {}
    caches = tempfile.TemporaryDirectory()
    # Preparing a narrative (fitting its classifier on its examples and stance corpus) is untimed, and a user pays it
    # once per install; done in the timed runs it would heat the CPU right before the passes that are timed. So one
    # untimed run per version fills that version's cache of prepared narratives first.
    for name, (src, models) in versions.items():
        run(texts, src, models, 1, Path(caches.name) / name)
    for round_ in range(args.rounds):
        for name, (src, models) in versions.items():
            result = run(texts, src, models, args.repeat, Path(caches.name) / name)
            per = 1000 * result["seconds"] / result["sentences"]
            print(
                f"round {round_ + 1} {name:<6} {result['sentences']} sentences in {result['seconds']:.2f}s: "
                f"{per:.2f} ms/sentence ({result['version']})"
            )
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    for name, result in best.items():
        print(f"best {name:<6} {1000 * result['seconds'] / result['sentences']:.2f} ms/sentence")
    if len(best) == 2:
        ratio = (best["now"]["seconds"] / best["now"]["sentences"]) / (
            best["before"]["seconds"] / best["before"]["sentences"]
        )
        print(f"now / before = {ratio:.2f} (target <= 1.20)")


if __name__ == "__main__":
    main()
