#!/usr/bin/env python
"""Backfill on Ray against the in-process engine (issue 14 items 1 and 4): throughput per worker, CPU per article,
identical rows, and nothing lost or doubled after a worker or the driver is killed mid-run.

Real articles (the 2020 CNBC and Reuters headlines with their descriptions, then FNSPID article bodies, then the
Guardian's headlines: :func:`headlines`; read at run time from ``../shared/data/news``, never copied into the
repository; distinct ones only, each given its own URL and hour) are stored once without enrichment; every run
then enriches its own fresh copy of that store, in its own process, doing everything ``narrative enrich`` does
(extraction, entity relevance, narrative scoring, mention sentiment, stories, aggregates).

* ``--timing``: ``narrative enrich`` (in-process), ``narrative enrich --engine ray --num-workers 1`` and ``... 2``,
  alternated over ``--rounds`` rounds (the order reversed every other round). Per run: wall seconds (start-up, Ray
  start and model loading included, as a user waits for them), articles/s, CPU seconds (user+sys of the driver and
  every process below it: Ray's GCS, raylet and worker processes, read from ``/proc`` every 0.2 s, so each
  process's last 0.2 s is missed), CPU seconds per article, per-worker throughput relative to the in-process
  engine, and per-table row counts and content hashes against the first in-process run (``store.fingerprint``).
  Each engine is also run once on ``--small`` articles: the difference is the marginal rate, the throughput with
  fixed costs (interpreter start, Ray start, model loads, the tail) taken out.
* ``--kill``: ``enrich_ray`` with 2 workers and a transaction per chunk, SIGKILLed after its first commit (once a
  Ray worker process, once the driver), then run again to completion; counts and hashes compared with the
  in-process engine's: rows lost, rows doubled.

    .venv/bin/python scripts/bench_ray.py --timing --articles 950 --rounds 1            # ~4.5 min on 2 cores
    .venv/bin/python scripts/bench_ray.py --timing --articles 950 --rounds 1 --reverse  # the other order
    .venv/bin/python scripts/bench_ray.py --phases --articles 950                       # ~4.5 min
    .venv/bin/python scripts/bench_ray.py --kill --articles 950                         # ~5 min

    .venv/bin/python scripts/bench_ray.py --timing --articles 1582 --rounds 1 --run-timeout 1500  # every article

(1,582 distinct articles are in the shared files: ``--articles`` at most that; the first 952 are headlines with a
description, what the runs before issue 14's actor-side mention sentiment measured.)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADLINES = ROOT.parent / "shared" / "data" / "news" / "headlines_2020"
FNSPID = ROOT.parent / "shared" / "data" / "news" / "fnspid_sample" / "aapl_news_contents.csv"
NARRATIVE = str(Path(sys.executable).with_name("narrative"))
TICK = os.sysconf("SC_CLK_TCK")
SKIP: set[str] = set()  # --skip: engines left out, e.g. "ray 1 before"
BEFORE = ""  # --before SRC: a checkout's src/ whose Ray engine is timed beside this one's
RUN_TIMEOUT = 540.0  # seconds one engine run may take (--run-timeout; a long run on a loaded machine needs more)
STEADY_COMMITS = 10  # commits a run needs for its CPU between the first and the last to be reported
ENGINES = {
    "inprocess": ["--workers", "1"],  # the single-process engine (issue 12's --workers N is a pool of its own)
    "ray 1": ["--engine", "ray", "--num-workers", "1"],
    "ray 2": ["--engine", "ray", "--num-workers", "2"],
}


def headlines(limit: int) -> list[dict[str, str]]:
    """Distinct real articles with made-up hourly times, up to ``limit`` (1,582 in all): the CNBC and Reuters
    headlines with their descriptions (952: what earlier runs of this bench measured alone), then the FNSPID article
    bodies longer than 80 characters (134, ~5,000 characters each; the importer titles them from the first line),
    then the Guardian's distinct headlines (496, title only).

    Copies of these are no substitute for more: the importer normalises whitespace, so a copy differing only in
    spacing is the same text, and a copy's sentences would come from the in-process engine's sentiment cache
    (kept across its batches) while each Ray chunk starts with an empty one (its scores must depend on the chunk
    alone), which would make the in-process engine faster and its rows differ for reasons no real backfill has."""
    csv.field_size_limit(1 << 30)
    seen: set[str] = set()
    rows = []

    def add(title: str, text: str) -> None:
        key = title or text[:200]
        if key and key not in seen:
            seen.add(key)
            rows.append({"title": title, "text": text})

    for name in ("cnbc_headlines.csv", "reuters_headlines.csv"):
        with open(HEADLINES / name, encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                title, text = (row.get("Headlines") or "").strip(), (row.get("Description") or "").strip()
                if title and text:
                    add(title, text)
    if len(rows) < limit:
        with open(FNSPID, encoding="utf-8-sig", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                text = (row.get("Text") or "").strip()
                if len(text) > 80:
                    add("", text)
    if len(rows) < limit:
        with open(HEADLINES / "guardian_headlines.csv", encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                add((row.get("Headlines") or "").strip(), "")
                if len(rows) >= limit:
                    break
    if len(rows) < limit:
        raise SystemExit(f"only {len(rows)} distinct articles in {HEADLINES} and {FNSPID}; ask for fewer")
    start = datetime(2020, 3, 2, 8)
    return [
        {
            **row,
            "url": f"https://bench.example.test/{n}",
            "published": (start + timedelta(hours=n)).isoformat() + "+00:00",
        }
        for n, row in enumerate(rows[:limit])
    ]


def raw_store(folder: Path, articles: int) -> Path:
    from narrative import api

    archive = folder / f"news_{articles}.jsonl"
    archive.write_text("\n".join(json.dumps(r) for r in headlines(articles)), encoding="utf-8")
    raw = folder / f"raw_{articles}.db"
    api.import_archive(str(archive), db_path=str(raw), source="bench", enrich=False)
    with closing(sqlite3.connect(raw)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every committed row in the main file before copying it
    return raw


def fresh(raw: Path, folder: Path, name: str) -> str:
    target = folder / f"{name.replace(' ', '')}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(raw, target)
    return str(target)


def fingerprint(db: str) -> dict[str, tuple[int, str]]:
    from narrative.store.fingerprint import fingerprint as of

    with closing(sqlite3.connect(db, timeout=60)) as conn:
        return of(conn)


def compare(got: dict[str, tuple[int, str]], reference: dict[str, tuple[int, str]]) -> str:
    """'identical (N rows in T tables)', or the tables whose count or hash differ."""
    bad = [
        f"{t} {got[t][0]} rows vs {n}" + ("" if got[t][0] != n else " (same count, other content)")
        for t, (n, digest) in reference.items()
        if got[t] != (n, digest)
    ]
    if bad:
        return "DIFFER: " + "; ".join(bad)
    return f"identical ({sum(n for n, _ in reference.values())} rows in {len(reference)} tables, counts + SHA-256)"


# -- processes -------------------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+sys CPU seconds) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def descendants(root: int) -> dict[int, float]:
    """Every live process below ``root`` (and root): pid -> its user+sys CPU seconds so far."""
    stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p))) is not None}
    tree, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid][1]
            frontier += [child for child, (parent, _) in stats.items() if parent == pid]
    return tree


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_kind(command: str) -> str:
    """A Ray process's role from its command line: ``ray::MapWorker(...)`` -> ``MapWorker``, ``.../gcs_server ...``
    -> ``gcs_server``, a Python daemon (``dashboard/agent.py``, ``log_monitor.py``) -> its script's name."""
    if not command:
        return ""
    if command.startswith("ray::"):
        return re.split(r"[(\s]", command[5:], maxsplit=1)[0] or "ray worker"
    words = command.split()
    if not Path(words[0]).name.startswith("python"):
        return Path(words[0]).name  # gcs_server, raylet
    script = next((w for w in words[1:] if w.endswith(".py")), words[0])
    return Path(script).name.removesuffix(".py")


def breakdown(watched: Watched) -> str:
    """CPU seconds per kind of process of a run, largest first."""
    kinds: dict[str, float] = {}
    for pid, cpu in watched.cpu.items():
        kind = watched.kinds.get(pid, "?")
        kinds[kind] = kinds.get(kind, 0.0) + cpu
    return ", ".join(f"{kind} {cpu:.1f}" for kind, cpu in sorted(kinds.items(), key=lambda kv: -kv[1]) if cpu >= 0.1)


class Watched:
    """A child process whose whole tree's CPU time is sampled until it ends; ``kill_when`` may SIGKILL a process
    of the tree once a condition holds."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, db: str = "") -> None:
        self.started = time.monotonic()
        self.db = db  # a store whose commits are watched: the CPU at the first and at the last one (steady())
        self.commits: list[tuple[int, dict[int, float]]] = []  # (articles committed, CPU per pid) at the first, last
        self.commit_count = 0
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.cpu: dict[int, float] = {}
        self.kinds: dict[int, str] = {}  # pid -> what it is (process_kind), as last seen
        self.killed = ""
        self.stderr = ""
        self.leftovers = 0  # Ray processes still alive 15 s after the driver ended, SIGKILLed by run()

    def run(self, kill_when=None, timeout: float | None = None) -> tuple[float, float, str]:
        """(wall s, tree CPU s, stdout+stderr tail) once the child has ended (killed after ``timeout`` seconds,
        default :data:`RUN_TIMEOUT`)."""
        timeout = timeout or RUN_TIMEOUT
        while self.proc.poll() is None:
            tree = descendants(self.proc.pid)
            self.cpu.update(tree)
            for pid in tree:
                self.kinds[pid] = (
                    "driver" if pid == self.proc.pid else process_kind(cmdline(pid)) or self.kinds.get(pid, "?")
                )
            if self.db:
                self.watch_commits()
            if kill_when is not None and not self.killed:
                self.killed = kill_when(self)
            if time.monotonic() - self.started > timeout:
                self.proc.kill()
            time.sleep(0.2)
        wall = time.monotonic() - self.started
        out, err = self.proc.communicate()
        self.reap_leftovers()
        self.stderr = err.strip()[-600:]
        return wall, sum(self.cpu.values()), out.strip()

    def watch_commits(self) -> None:
        done = committed(self.db)
        if done and (not self.commits or done != self.commits[-1][0]):
            self.commit_count += 1
            mark = (done, dict(self.cpu))
            self.commits = [self.commits[0], mark] if self.commits else [mark]

    def steady(self) -> tuple[int, float, dict[str, float]] | None:
        """Between the first and the last commit of the run: (articles committed, CPU s of the whole tree, CPU s per
        kind of process), start-up (Ray, model loads) and the tail after the last commit left out; None with fewer
        than :data:`STEADY_COMMITS` commits (the actors compute up to ``IN_FLIGHT`` chunks each ahead of the writer, so
        with few commits much of the work between them was done before the first)."""
        if self.commit_count < STEADY_COMMITS:
            return None
        (first, before), (last, after) = self.commits
        kinds: dict[str, float] = {}
        for pid, cpu in after.items():
            kind = self.kinds.get(pid, "?")
            kinds[kind] = kinds.get(kind, 0.0) + cpu - before.get(pid, 0.0)
        return last - first, sum(kinds.values()), kinds

    def reap_leftovers(self) -> None:
        """Ray processes of this run still alive 15 s after the driver ended (a killed driver): SIGKILL them."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            alive = [p for p in self.cpu if p != self.proc.pid and _stat(p) is not None and "ray" in cmdline(p)]
            if not alive:
                return
            time.sleep(0.5)
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
        self.leftovers = len(alive)


# -- timing ----------------------------------------------------------------------------------------------------------


def engines() -> list[str]:
    """The engines timed: :data:`ENGINES`, then each Ray one again from ``--before SRC`` (named "... before")."""
    before = [f"{engine} before" for engine in ENGINES if engine != "inprocess"] if BEFORE else []
    return [engine for engine in [*ENGINES, *before] if engine not in SKIP]


@dataclass
class Run:
    """One engine's run: wall and CPU seconds of its whole process tree, articles enriched, its store, CPU seconds per
    kind of process, and the CPU between its first and last commit (``Watched.steady``)."""

    wall: float
    cpu: float
    done: int
    db: str
    kinds: str
    steady: tuple[int, float, dict[str, float]] | None


def timed(raw: Path, folder: Path, engine: str, name: str = "") -> Run:
    db = fresh(raw, folder, name or engine)
    env = {**os.environ, "PYTHONPATH": BEFORE} if engine.endswith(" before") else None  # Ray workers inherit it
    watched = Watched([NARRATIVE, "enrich", "--db", db, *ENGINES[engine.removesuffix(" before")]], env, db=db)
    wall, cpu, output = watched.run()
    with closing(sqlite3.connect(db)) as conn:
        done = conn.execute("SELECT count(*) FROM enrichments").fetchone()[0]
    if not output.startswith("enriched"):
        raise SystemExit(f"{engine} failed: {output} {watched.stderr}")
    return Run(wall, cpu, done, db, breakdown(watched), watched.steady())


def workers_of(engine: str) -> int:
    return int(engine.split()[1]) if engine != "inprocess" else 1


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def timing(folder: Path, articles: int, rounds: int, small: int, reverse: bool = False) -> None:
    """Each engine on ``articles`` (and on ``small``, for the steady state), alternated, ``rounds`` times; rows
    compared with the first in-process run's; then the per-worker figures (see :func:`summary`)."""
    raw = raw_store(folder, articles)
    raw_small = raw_store(folder, small) if small else None
    print(
        f"\n== timing: {articles} articles (and {small} for the fixed costs), {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}"
    )
    print(
        f"{'engine':<13} {'round':>5} {'wall s':>7} {'art/s':>6} {'CPU s':>7} {'CPU s/art':>9} "
        f"{'per worker':>10}  rows vs first in-process run"
    )
    runs: dict[str, list[Run]] = {e: [] for e in engines()}
    smalls: dict[str, list[Run]] = {e: [] for e in engines()}
    reference: dict[str, tuple[int, str]] = {}
    for r in range(rounds):
        for engine in engines() if (r + reverse) % 2 == 0 else list(reversed(engines())):
            run = timed(raw, folder, engine)
            rows = fingerprint(run.db)
            same = "(reference)" if not reference else compare(rows, reference)
            reference = reference or rows
            runs[engine].append(run)
            inproc = mean([x.done / x.wall for x in runs["inprocess"]]) if runs.get("inprocess") else 0
            rel = f"{run.done / run.wall / workers_of(engine) / inproc:.2f}x" if inproc else "-"
            print(
                f"{engine:<13} {r + 1:>5} {run.wall:>7.1f} {run.done / run.wall:>6.2f} {run.cpu:>7.1f} "
                f"{run.cpu / run.done:>9.3f} {rel:>10}  {same}  [load {os.getloadavg()[0]:.2f}]"
            )
            print(f"{'':<13} CPU s by process: {run.kinds}")
            if run.steady and engine != "inprocess":  # in-process commits during extraction only: not comparable
                n, cpu, kinds = run.steady
                parts = ", ".join(
                    f"{k} {v / n:.4f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v > 0.05
                )
                print(
                    f"{'':<13} between its first and last commit: {n} articles, {cpu / n:.4f} CPU s/article ({parts})"
                )
            if raw_small is not None:
                run = timed(raw_small, folder, engine, engine + " small")
                smalls[engine].append(run)
                print(
                    f"{engine + ' small':<19} {run.wall:>7.1f} {run.done / run.wall:>6.2f} {run.cpu:>7.1f}  "
                    f"[load {os.getloadavg()[0]:.2f}] CPU s by process: {run.kinds}"
                )
    summary(runs, smalls, articles, small)
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (2 shared cores)")


def summary(runs: dict[str, list[Run]], smalls: dict[str, list[Run]], articles: int, small: int) -> None:
    """Per worker = (articles/s with N workers / N) / in-process articles/s, in wall and in CPU (in-process CPU per
    article / this engine's), over whole runs (start-up and tail included, as a user waits for them) and in the steady
    state (marginal: ``(run - small run) / (articles - small)``, which takes out what does not grow with the backlog:
    interpreter and Ray start, model loads, the tail's fixed part)."""
    if "inprocess" not in runs:
        return
    wall = {e: mean([r.wall for r in v]) for e, v in runs.items()}
    cpu = {e: mean([r.cpu for r in v]) for e, v in runs.items()}
    rounds = len(runs["inprocess"])
    print(f"\nmeans over {rounds} round(s); per worker relative to in-process (wall: articles/s / workers; CPU):")
    print(f"  {'engine':<13} {'whole run: art/s':>16} {'wall/worker':>11} {'CPU s/art':>9} {'CPU/worker':>10}", end="")
    print(f"   {'steady: art/s':>13} {'wall/worker':>11} {'CPU s/art':>9} {'CPU/worker':>10}" if small else "")
    base_cpu = cpu["inprocess"] / articles
    marginal_wall = {e: mean([r.wall for r in v]) for e, v in smalls.items() if v}
    marginal_cpu = {e: mean([r.cpu for r in v]) for e, v in smalls.items() if v}
    for engine in runs:
        workers = workers_of(engine)
        line = (
            f"  {engine:<13} {articles / wall[engine]:>16.2f} "
            f"{wall['inprocess'] / wall[engine] / workers:>10.2f}x {cpu[engine] / articles:>9.4f} "
            f"{base_cpu / (cpu[engine] / articles):>9.2f}x"
        )
        if engine in marginal_wall and "inprocess" in marginal_wall:
            extra = articles - small
            wall_s = (wall[engine] - marginal_wall[engine]) / extra  # wall seconds per marginal article
            base_wall_s = (wall["inprocess"] - marginal_wall["inprocess"]) / extra
            cpu_s = (cpu[engine] - marginal_cpu[engine]) / extra
            base_cpu_s = (cpu["inprocess"] - marginal_cpu["inprocess"]) / extra
            line += (
                f"   {1 / wall_s:>13.2f} {base_wall_s / wall_s / workers:>10.2f}x {cpu_s:>9.4f} "
                f"{base_cpu_s / cpu_s:>9.2f}x"
            )
        print(line)


# -- kill ------------------------------------------------------------------------------------------------------------


def committed(db: str) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
            return conn.execute("SELECT count(*) FROM enrichments").fetchone()[0]
    except sqlite3.Error:
        return 0


def child_argv(db: str, chunk: int) -> list[str]:
    return [sys.executable, __file__, "--child", db, "--chunk", str(chunk)]


def killer(db: str, target: str):
    """SIGKILL the driver, or one Ray worker process running the actor, once the first transaction is committed."""

    def check(watched: Watched) -> str:
        done = committed(db)
        if not done:
            return ""
        if target == "driver":
            os.kill(watched.proc.pid, signal.SIGKILL)
            return f"driver {watched.proc.pid} after {done} articles committed"
        actors = [p for p in descendants(watched.proc.pid) if "MapWorker" in cmdline(p) or "EnrichActor" in cmdline(p)]
        if not actors:
            return ""
        name = cmdline(actors[0]).strip()[:48]
        os.kill(actors[0], signal.SIGKILL)
        return f"worker {actors[0]} ({name}) after {done} articles committed"

    return check


def kill_test(folder: Path, articles: int, chunk: int) -> None:
    raw = raw_store(folder, articles)
    print(
        f"\n== kill: {articles} articles, 2 workers, chunks of {chunk} = one transaction each; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    run = timed(raw, folder, "inprocess")
    wall, done, reference = run.wall, run.done, fingerprint(run.db)
    print(f"in-process reference: {done} articles, {wall:.1f} s")
    for target in ("worker", "driver"):
        db = fresh(raw, folder, f"kill{target}")
        watched = Watched(child_argv(db, chunk))
        wall, _, output = watched.run(kill_when=killer(db, target))
        after_kill = committed(db)
        print(
            f"kill {target}: {watched.killed or 'NOT KILLED (run ended first)'}; run ended rc "
            f"{watched.proc.returncode} after {wall:.1f} s with {after_kill} articles committed"
        )
        if watched.leftovers:
            print(f"  {watched.leftovers} Ray processes of the killed run still alive 15 s later: SIGKILLed")
        if watched.proc.returncode not in (0, -signal.SIGKILL):
            print("  last stderr line: " + (watched.stderr.splitlines() or [""])[-1][:160])
        rerun = Watched(child_argv(db, chunk))
        wall, _, output = rerun.run()
        print(f"  rerun: rc {rerun.proc.returncode}, {output.splitlines()[-1] if output else ''}, {wall:.1f} s")
        got = fingerprint(db)
        lost = sum(max(0, reference[t][0] - got[t][0]) for t in reference)
        doubled = sum(max(0, got[t][0] - reference[t][0]) for t in reference)
        print(f"  after rerun: {lost} rows lost, {doubled} rows extra; {compare(got, reference)}")


def child(db: str, chunk: int, workers: int = 2, phases: bool = False) -> None:
    """A driver: ``enrich_ray`` with ``workers`` workers and one transaction per chunk (0 workers: ``api.enrich``);
    with ``phases``, a JSON line of when each phase ended (seconds since this function began)."""
    started = time.monotonic()
    marks: dict[str, float] = {}

    def progress(event: dict) -> None:
        now = time.monotonic() - started
        if event["event"] == "start":
            marks["start"] = now
        elif event["event"] == "batch":
            marks.setdefault("first_batch", now)
            marks.setdefault("first_done", event["done"])
            marks["last_batch"], marks["last_done"] = now, event["done"]
        elif event["event"] == "tail":  # the Ray driver's steps after the pool
            marks[f"tail {event['step']}"] = event["seconds"]

    from narrative.config import Settings

    if workers == 0:
        from narrative import api

        summary = api.enrich(db_path=db, progress=progress)
    else:
        import ray

        from narrative.api.ray_engine import _connect, enrich_ray

        _connect(ray, None)  # the local instance `narrative enrich --engine ray` starts
        marks["ray_init"] = time.monotonic() - started
        settings = Settings.load(db=db)
        summary = enrich_ray(
            settings, num_workers=workers, chunk_articles=chunk, commit_articles=chunk, progress=progress
        )
    marks["end"] = time.monotonic() - started
    print(f"enriched {summary.articles} articles")
    if phases:
        print(json.dumps(marks))


def phases(folder: Path, articles: int, chunk: int) -> None:
    """Where each engine's time goes: start-up (imports, Ray start, the driver's model loads), the batches
    (in-process: extraction only; Ray: the actors' start and model loads until the first commit, then extraction
    and scoring), the tail (in-process: mention sentiment, stories, scoring, aggregates; Ray: mention sentiment,
    stories, aggregates, in the driver)."""
    raw = raw_store(folder, articles)
    print(f"\n== phases: {articles} articles, a transaction per {chunk}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"{'engine':<10} {'ray.init':>8} {'start':>6} {'1st commit':>10} {'batches/s':>9} {'last':>6} {'end':>6}"
        "  (seconds since the driver's imports; batches/s: articles/s from the first commit to the last)"
    )
    for engine, workers in (("inprocess", 0), ("ray 1", 1), ("ray 2", 2)):
        if engine in SKIP:
            continue
        db = fresh(raw, folder, f"phases{workers}")
        watched = Watched([*child_argv(db, chunk), "--child-workers", str(workers), "--phases"])
        wall, cpu, output = watched.run()
        marks = json.loads(output.splitlines()[-1])
        rate = (marks["last_done"] - marks["first_done"]) / max(marks["last_batch"] - marks["first_batch"], 1e-9)
        print(
            f"{engine:<10} {marks.get('ray_init', 0):>8.1f} {marks['start']:>6.1f} {marks['first_batch']:>10.1f} "
            f"{rate:>9.2f} {marks['last_batch']:>6.1f} {marks['end']:>6.1f}  (process: {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU)"
        )
        tail = {k[5:]: v for k, v in marks.items() if k.startswith("tail ")}
        if tail:
            print("           tail: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in tail.items()))


def main(argv: list[str] | None = None) -> int:
    global RUN_TIMEOUT, BEFORE, SKIP
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--timing", action="store_true", help="time the engines (default: --timing and --kill)")
    parser.add_argument("--kill", action="store_true", help="kill a worker, then the driver, mid-run; rerun; compare")
    parser.add_argument("--rounds", type=int, default=2, help="timing rounds (engine order reversed every other)")
    parser.add_argument("--reverse", action="store_true", help="start with the reversed order (ray 2 first)")
    parser.add_argument("--small", type=int, default=20, help="articles of the fixed-cost runs (0: none)")
    parser.add_argument("--run-timeout", type=float, default=RUN_TIMEOUT, help="seconds one engine run may take")
    parser.add_argument("--skip", action="append", default=[], metavar="ENGINE", help='e.g. "ray 1 before"')
    parser.add_argument(
        "--before", metavar="SRC", help="also time the Ray engine of another checkout's src/ (git worktree), same store"
    )
    parser.add_argument("--chunk", type=int, default=100, help="articles per chunk and per transaction (--kill)")
    parser.add_argument("--phases", action="store_true", help="where each engine's time goes (start, batches, tail)")
    parser.add_argument("--child", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--child-workers", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    RUN_TIMEOUT, BEFORE, SKIP = args.run_timeout, args.before or "", set(args.skip)
    if args.child:
        child(args.child, args.chunk, args.child_workers, args.phases)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bench_ray_"))
    try:
        everything = not (args.timing or args.kill or args.phases)
        if args.timing or everything:
            timing(folder, args.articles, args.rounds, args.small, args.reverse)
        if args.phases or everything:
            phases(folder, args.articles, args.chunk)
        if args.kill or everything:
            kill_test(folder, args.articles, args.chunk)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
