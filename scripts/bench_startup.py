"""Start-up of the light commands, before and after lazy imports (issue 12 item 2).

Times ``narrative --help``, ``feeds``, ``stats`` and the query commands on a tiny store (``mentions``, ``figures``,
``entities``, ``sentiment``: what is left is start-up) as fresh processes (``python -m
narrative``, the same venv for both trees), alternating the old and the current checkout run by run, and prints
the best of N wall-clock seconds and user+sys CPU seconds (from ``wait4``) of each. CPU time is the fairer
figure on a shared, loaded machine: wall time includes waiting for a core. The 1-minute load average is printed
before and after.

Each tree gets its own small store, built by its own code (``import`` of a 6-row invented archive, then ``enrich
--no-score``: extraction only, so ``mentions`` has rows), because an older tree may not open a newer schema.

    .venv/bin/python scripts/bench_startup.py                      # old = 0a0a085, 7 runs
    .venv/bin/python scripts/bench_startup.py --before HEAD~3 --runs 11
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Invented rows (no third-party text): enough for stats, feeds and a page of mentions.
ARCHIVE = """url,title,published,text,source
http://bench.test/1,Alibaba shares rise,2025-01-02,Alibaba rose 5% after its cloud unit grew 20%.,wire
http://bench.test/2,Tencent opens data centre,2025-01-03,Tencent opened a data centre in Frankfurt.,wire
http://bench.test/3,Alibaba cuts prices,2025-01-04,Alibaba cut prices of its AI models by 80%.,desk
http://bench.test/4,Baidu results,2025-01-05,Baidu said revenue fell 2% in the quarter.,desk
http://bench.test/5,Alibaba invests,2025-01-06,Alibaba will invest 380 billion yuan in AI over three years.,wire
http://bench.test/6,Chip curbs widen,2025-01-07,The US added more Chinese chip firms to the Entity List.,wire
"""
FEEDS = "feeds:\n  - name: wire\n    url: https://news.example.test/rss\n"

COMMANDS = {
    "--help": ["--help"],
    "feeds": ["feeds"],
    "stats": ["stats"],
    "mentions Alibaba": ["mentions", "Alibaba"],
    "figures Alibaba": ["figures", "Alibaba"],
    "entities": ["entities"],
    "sentiment Alibaba": ["sentiment", "Alibaba"],
}
# With --db (an existing store, e.g. the 2M-article PostgreSQL copy of scripts/scale_postgres.py): the query commands.
STORE_COMMANDS = {
    "--help": ["--help"],
    "stats": ["stats"],
    "entities": ["entities"],
    "mentions apple --limit 50": ["mentions", "apple", "--limit", "50"],
    "figures apple --limit 50": ["figures", "apple", "--limit", "50"],
    "index": ["index"],
    "sentiment apple --daily --since 2025-12-02": ["sentiment", "apple", "--daily", "--since", "2025-12-02"],
}


def run_once(src: Path, args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, user+sys CPU seconds, exit code) of one ``python -m narrative ARGS`` with ``src`` first."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "narrative", *args],
        env={**env, "PYTHONPATH": str(src)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def build_store(src: Path, folder: Path, env: dict[str, str]) -> dict[str, str]:
    """A store and a feeds file made by the tree at ``src``; the environment that points the commands at them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "archive.csv").write_text(ARCHIVE, encoding="utf-8")
    (folder / "feeds.yaml").write_text(FEEDS, encoding="utf-8")
    env = {
        **env,
        "PYTHONPATH": str(src),
        "NARRATIVE_DB": str(folder / "store.db"),
        "NARRATIVE_FEEDS": str(folder / "feeds.yaml"),
    }
    for args in (["import", str(folder / "archive.csv"), "--no-enrich"], ["enrich", "--no-score"]):
        done = subprocess.run([sys.executable, "-m", "narrative", *args], env=env, capture_output=True, text=True)
        if done.returncode:
            print(
                f"  ({src}: `narrative {' '.join(args)}` exited {done.returncode}: "
                f"{done.stderr.strip().splitlines()[-1:]}; timing on the store as it is)",
                file=sys.stderr,
            )
    return {k: v for k, v in env.items() if k != "PYTHONPATH"}


def before_tree(revision: str) -> Path:
    """A worktree of ``revision`` in /tmp/startup_before_<commit> (made once, reused after)."""
    wanted = subprocess.run(
        ["git", "rev-parse", revision], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    path = Path(f"/tmp/startup_before_{wanted[:7]}")
    if path.exists():
        have = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True).stdout.strip()
        if have == wanted:
            return path
        sys.exit(f"{path} holds {have[:7]}, not {revision}: remove it (git worktree remove {path}) and rerun")
    subprocess.run(["git", "worktree", "add", "--detach", str(path), wanted], cwd=ROOT, check=True, capture_output=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="0a0a085", help="Old revision (default 0a0a085).")
    parser.add_argument("--runs", type=int, default=7, help="Runs per command and tree; the best is kept.")
    parser.add_argument("--db", help="Time the query commands on this existing store (a path or a URL) instead.")
    options = parser.parse_args()
    commands = STORE_COMMANDS if options.db else COMMANDS

    trees = {"before": before_tree(options.before) / "src", "after": ROOT / "src"}
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATIVE_") and k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        base_env.update(HOME=tmp, NARRATIVE_HOME=str(Path(tmp) / "home"))
        if options.db:  # both trees read the same store (a read command migrates nothing)
            envs = {name: {**base_env, "NARRATIVE_DB": options.db} for name in trees}
        else:
            envs = {name: build_store(src, Path(tmp) / name, base_env) for name, src in trees.items()}
        load_before = os.getloadavg()[0]
        best: dict[tuple[str, str], list[float]] = {}
        codes: dict[tuple[str, str], set[int]] = {}
        for _ in range(options.runs):
            for label, args in commands.items():
                for name, src in trees.items():  # alternate trees run by run: load drifts hit both alike
                    wall, cpu, code = run_once(src, args, envs[name])
                    key = (label, name)
                    old = best.get(key, [float("inf"), float("inf")])
                    best[key] = [min(old[0], wall), min(old[1], cpu)]
                    codes.setdefault(key, set()).add(code)
        load_after = os.getloadavg()[0]

    print(
        f"python -m narrative ..., best of {options.runs}; before = {options.before}, after = working tree; "
        f"{os.cpu_count()} CPUs, 1-min load average {load_before:.1f} -> {load_after:.1f}"
    )
    print("| command | before wall s | after wall s | before CPU s | after CPU s | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for label in commands:
        (bw, bc), (aw, ac) = best[(label, "before")], best[(label, "after")]
        exits = {name: sorted(codes[(label, name)]) for name in trees}
        note = "" if all(c == [0] for c in exits.values()) else f" (exit codes {exits})"
        print(f"| `narrative {label}` | {bw:.3f} | {aw:.3f} | {bc:.3f} | {ac:.3f} | x{bc / ac:.1f}{note} |")


if __name__ == "__main__":
    main()
