#!/usr/bin/env python
"""The 2M-article bench store on PostgreSQL (issue 14 item 4): the SQLite store ``scripts/bench_scale.py`` builds,
copied row for row into a throwaway PostgreSQL cluster, so the same query commands are timed on both backends over
the same contents. ``bench_scale.py --backend postgres`` calls :func:`prepare`; run alone, this script builds (or
finishes) the copy, or starts/stops the cluster.

The build, each phase recorded in ``CLUSTER/build.json`` (a cut-short build carries on where it stopped):

1. ``cluster``: ``initdb`` under ``--cluster`` (as the ``postgres`` user when run as root, as the tests do), served
   on a unix socket only. While building it runs with bulk-load settings (:data:`BUILD_SETTINGS`: no fsync, no
   synchronous commit, minimal WAL, 2 GB for index sorts, no autovacuum); for timing it is restarted with
   :data:`SERVE_SETTINGS` (durable defaults, a modest cache).
2. ``schema``: the store's own migrations (``open_db(url)``: every table, trigger and index exactly as any
   PostgreSQL store gets them); then the secondary indexes and foreign keys are set aside (recorded, dropped).
3. ``copy``: every table of the SQLite store, streamed by ``COPY ... FROM STDIN`` (psycopg, 50,000 rows a
   batch; :mod:`narrative.store.postgres_copy`), one transaction per table that also truncates it (so with
   ``wal_level=minimal`` the rows skip the WAL), the table's triggers off (what they wrote is copied with the
   rest). The derived tables (entity and narrative day aggregates, running counts) are copied as the SQLite
   writer left them: the same rows give the same aggregates. PostgreSQL computes the generated full-text columns
   during the copy.
4. ``indexes``: the indexes (btree and the GIN full-text ones) and foreign keys recreated, identity sequences set
   past the copied ids (so a later writer's inserts do not collide).
5. ``analyze``: ``VACUUM (ANALYZE)``: planner statistics, and the visibility map for index-only scans.

Then, on every run, :func:`sync`: migrations added since the copy applied, and any table whose row count now differs
from the SQLite store's (a new migration's table, aggregates refreshed since) copied again.

    .venv/bin/python scripts/scale_postgres.py --sqlite /tmp/narrative_scale/store_2000000.db   # build / finish
    .venv/bin/python scripts/scale_postgres.py --server-cpu 3   # the server's CPU per query command
    .venv/bin/python scripts/scale_postgres.py --stop        # stop the cluster (--drop: and delete it)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from narrative.store.postgres_copy import PARENTS, copy_table, reset_identities, sqlite_tables  # noqa: E402

DEFAULT_CLUSTER = Path("/tmp/narrative_pg")
DATABASE = "narrative"
BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
COMMON_SETTINGS = {"listen_addresses": "''", "max_connections": "40"}
BUILD_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "1h",
    "autovacuum": "off",
    "shared_buffers": "512MB",
    "maintenance_work_mem": "2GB",
    "max_parallel_maintenance_workers": "1",
}
SERVE_SETTINGS = {"shared_buffers": "1GB", "effective_cache_size": "8GB", "work_mem": "32MB", "random_page_cost": "1.1"}
SMALL_TABLE = 200_000  # rows: copied again by every sync (seconds), whatever their count
PHASES = ("cluster", "schema", "copy", "indexes", "analyze")


class Cluster:
    """The throwaway cluster: a data folder under ``folder``, its socket in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.bin_dir = (Path(shutil.which("pg_ctl") or "").resolve().parent if shutil.which("initdb") else None) or (
            BIN_CANDIDATES[-1].parent if BIN_CANDIDATES else None
        )
        if self.bin_dir is None:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{DATABASE}?host={self.folder}"

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [*self.as_user, str(self.bin_dir / program), *args]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=600)

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.folder, user="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    def running(self) -> bool:
        return self.data.exists() and self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start(self, settings: dict[str, str]) -> None:
        """(Re)start with ``settings`` on top of :data:`COMMON_SETTINGS`."""
        if self.running():
            self.stop()
        options = " ".join(f"-c {k}={v}" for k, v in {**COMMON_SETTINGS, **settings}.items())
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", f"-k {self.folder} {options}", "-l", str(self.folder / "log"), "start"
        )
        for _ in range(600):
            if self._run("pg_isready", "-h", str(self.folder), check=False).returncode == 0:
                return
            time.sleep(0.5)
        raise SystemExit(f"PostgreSQL did not start: see {self.folder / 'log'}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "600", "stop", check=False)

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url.replace(f"/{DATABASE}?", "/postgres?"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
                conn.execute(f"CREATE DATABASE {DATABASE} TEMPLATE template0")


class PgBuild:
    """The phases of the copy, each recorded in ``build.json`` once committed."""

    def __init__(self, cluster: Cluster, sqlite_path: Path) -> None:
        self.cluster, self.sqlite_path = cluster, sqlite_path
        self.state_path = cluster.folder / "build.json"
        self.state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}

    def mark(self, phase: str, value) -> None:
        self.state[phase] = value
        self.state_path.write_text(json.dumps(self.state, indent=1))

    def complete(self) -> bool:
        return all(phase in self.state for phase in PHASES)

    def connect(self):
        import psycopg

        conn = psycopg.connect(self.cluster.url, autocommit=True)
        conn.execute("SET maintenance_work_mem = '2GB'")
        return conn

    def run(self) -> None:
        for phase in PHASES:
            if phase in self.state:
                continue
            if phase != "cluster" and not self.cluster.running():
                self.cluster.start(BUILD_SETTINGS)
            started, cpu = time.perf_counter(), _cpu_seconds()
            getattr(self, f"phase_{phase}")()
            took = {"wall_s": round(time.perf_counter() - started, 1), "cpu_s": round(_cpu_seconds() - cpu, 1)}
            self.state.setdefault("times", {})[phase] = took
            self.mark("times", self.state["times"])
            print(f"pg build: {phase} in {took['wall_s']:.0f}s wall, {took['cpu_s']:.0f}s CPU", flush=True)

    def phase_cluster(self) -> None:
        if not self.cluster.data.exists():
            self.cluster.init()
        self.cluster.start(BUILD_SETTINGS)
        self.cluster.create_database()
        self.mark("cluster", {"url": self.cluster.url})

    def phase_schema(self) -> None:
        from narrative.store import open_db

        open_db(self.cluster.url).close()  # every migration, as any PostgreSQL store gets them
        with self.connect() as conn:
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint) ORDER BY indexname"
            ).fetchall()
            keys = conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY conname"
            ).fetchall()
            self.mark("set_aside", {"indexes": indexes, "foreign_keys": keys})
            for table, name, _ in keys:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        self.mark("schema", {"indexes": len(indexes), "foreign_keys": len(keys)})

    def phase_copy(self) -> None:
        source = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True)
        done = self.state.setdefault("copied", {})
        with self.connect() as conn:
            for table in sqlite_tables(source):
                if table in done:
                    continue
                started = time.perf_counter()
                rows = copy_table(source, conn, table, truncate=True)
                done[table] = rows
                self.mark("copied", done)
                took = time.perf_counter() - started
                print(f"  {table}: {rows:,} rows in {took:.0f}s ({rows / max(took, 1e-9):,.0f} rows/s)", flush=True)
        source.close()
        self.mark("copy", sum(done.values()))

    def phase_indexes(self) -> None:
        aside = self.state["set_aside"]
        with self.connect() as conn:
            for name, definition in aside["indexes"]:
                if conn.execute("SELECT 1 FROM pg_class WHERE relname = %s", [name]).fetchone():
                    continue
                started = time.perf_counter()
                conn.execute(definition)
                print(f"  index {name}: {time.perf_counter() - started:.0f}s", flush=True)
            for table, name, definition in aside["foreign_keys"]:
                if not conn.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name]).fetchone():
                    conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            reset_identities(conn)  # the writer's next id follows the copied ones
        self.mark("indexes", True)

    def phase_analyze(self) -> None:
        """Planner statistics (ANALYZE: samples, quick), then the visibility map that index-only scans need (VACUUM:
        reads every page, so one table at a time, skipping those already done; pages copied with FREEZE are
        all-visible already)."""
        with self.connect() as conn:
            conn.execute("ANALYZE")
            tables = conn.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NULL ORDER BY n_live_tup"
            ).fetchall()
            for (table,) in tables:
                started = time.perf_counter()
                conn.execute(f'VACUUM "{table}"')
                print(f"  vacuum {table}: {time.perf_counter() - started:.0f}s", flush=True)
        self.mark("analyze", True)


def sync(cluster: Cluster, sqlite_path: Path) -> list[str]:
    """Bring a built copy up to its SQLite original after either changed: the store's pending migrations applied
    (as ``open_db`` applies them to any PostgreSQL store), then each table whose row count differs between the two
    (a migration's new table, aggregates refreshed since the copy), and every small one (reference rows a
    migration wrote that a refresh filled in), copied again and analysed. The tables copied."""
    from narrative.store import open_db

    open_db(cluster.url).close()
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    copied = []
    with psycopg_connect(cluster.url) as conn:
        present = {
            row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        }
        for table in sqlite_tables(source):
            if table not in present:
                continue
            theirs = source.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
            ours = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            small = 0 < theirs <= SMALL_TABLE and table not in PARENTS  # may have changed at the same count
            if theirs != ours or small:
                print(
                    f"  sync {table}: {ours:,} -> {copy_table(source, conn, table, truncate=True):,} rows", flush=True
                )
                conn.execute(f'ANALYZE "{table}"')
                copied.append(table)
    source.close()
    return copied


def psycopg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def sizes(url: str) -> str:
    """The row counts the SQLite table of ``bench_scale.py`` prints, and the database's size on disk."""
    import psycopg

    tables = ("articles", "mentions", "sentences", "figures", "article_scores", "mention_sentiment")
    tables += ("article_entities", "entity_days", "entity_totals", "narrative_days")
    with psycopg.connect(url) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f"; {size / 2**30:.2f} GiB"


def prepare(sqlite_path: Path, folder: Path = DEFAULT_CLUSTER) -> str | None:
    """Build (or finish) the PostgreSQL copy of ``sqlite_path`` and serve it for timing: its URL, or None while
    phases are left."""
    cluster = Cluster(folder)
    build = PgBuild(cluster, sqlite_path)
    if not build.complete():
        started, cpu = time.perf_counter(), _cpu_seconds()
        build.run()
        print(f"pg build: {time.perf_counter() - started:.0f}s wall, {_cpu_seconds() - cpu:.0f}s CPU this run")
        print(f"pg build phases: {json.dumps(build.state.get('times', {}))}")
    if not build.complete():
        return None
    if not cluster.running():
        cluster.start(SERVE_SETTINGS)
    started = time.perf_counter()
    if synced := sync(cluster, sqlite_path):
        print(f"pg sync: {', '.join(synced)} in {time.perf_counter() - started:.0f}s")
    if build.state.get("serving") != SERVE_SETTINGS:
        cluster.start(SERVE_SETTINGS)
        build.mark("serving", SERVE_SETTINGS)
    print(f"rows (PostgreSQL, {cluster.url}): {sizes(cluster.url)}")
    return cluster.url


def server_cpu(url: str, *, narrative: str, repeat: int) -> list[tuple[str, float]]:
    """Per bench command (``bench_scale.cases``): the PostgreSQL server's CPU seconds while the CLI ran, best of
    ``repeat``: the part of a query's cost that the CLI's own CPU figure leaves out on this backend (on SQLite the
    query runs inside the CLI process)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_scale

    found = []
    for label, argv, _ in bench_scale.cases(url, narrative):
        if argv == ["--help"]:
            continue
        best = float("inf")
        for _ in range(repeat):
            before = _server_cpu()
            bench_scale.run_cli([*argv, "--db", url])
            time.sleep(0.05)  # the postmaster adds an exited backend's CPU to its own once it has reaped it
            best = min(best, _server_cpu() - before)
        found.append((label, best))
    return found


def _cpu_seconds() -> float:
    """CPU of this process, its children, and the PostgreSQL server (which does most of the build's work)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + _server_cpu()


def _server_cpu() -> float:
    """User+sys CPU seconds of the running postgres processes, and of the exited ones (the postmaster waits for its
    backends, so theirs is in its children's times), from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith("postgres"):
            fields = text[text.rindex(")") + 2 :].split()
            total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", default="/tmp/narrative_scale/store_2000000.db", help="the SQLite store to copy")
    parser.add_argument("--cluster", default=str(DEFAULT_CLUSTER), help="where the cluster lives")
    parser.add_argument("--stop", action="store_true", help="stop the cluster")
    parser.add_argument("--drop", action="store_true", help="stop the cluster and delete it")
    parser.add_argument("--server-cpu", type=int, metavar="N", help="the server's CPU per query command, best of N")
    parser.add_argument("--narrative", default="china-ai", help="the narrative the bench commands use")
    args = parser.parse_args(argv)
    cluster = Cluster(Path(args.cluster))
    if args.stop or args.drop:
        cluster.stop()
        if args.drop:
            shutil.rmtree(cluster.folder, ignore_errors=True)
        return 0
    url = prepare(Path(args.sqlite), cluster.folder)
    print(url or "phases left: run again")
    if url and args.server_cpu:
        print(f"| command (narrative ... --db {url}) | PostgreSQL server CPU, s |\n|---|---|")
        for label, seconds in server_cpu(url, narrative=args.narrative, repeat=args.server_cpu):
            print(f"| {label} | {seconds:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
