"""Helpers of the command-line hardening tests (issue 11): small real stores, running as an unprivileged user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrative.cli import cli

ARCHIVE = (
    "url,title,published,text,source\n"
    "http://a.test/1,Alibaba shares rise,2025-01-02,Alibaba rose 5% on cloud growth.,wire\n"
    "http://a.test/2,Tencent expands,2025-01-03,Tencent opened a data centre.,wire\n"
)


def run(*args, env: dict[str, str] | None = None):
    """The command in process, as a user runs it (exceptions are not caught for us: a traceback fails the test)."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)


def run_process(*args, cwd: Path, as_nobody: bool = False, module: bool = True) -> subprocess.CompletedProcess:
    """``python -m narrative ARGS`` (``python ARGS`` with ``module=False``) in a fresh process; ``as_nobody`` drops
    root first (root ignores permissions)."""
    command = [sys.executable, *(["-m", "narrative"] if module else []), *map(str, args)]
    if as_nobody and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("runs as root, which ignores file permissions, and setpriv is not installed to drop root")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATIVE_")}
    env.update(HOME=str(cwd), NARRATIVE_HOME=str(cwd / "home"))
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def make_store(path: Path) -> Path:
    """A real store with two imported articles (no enrichment: the CLI's own import path)."""
    archive = path.parent / "archive.csv"
    archive.write_text(ARCHIVE, encoding="utf-8")
    result = run("import", archive, "--db", path, "--no-enrich")
    assert result.exit_code == 0, result.output
    return path


def one_error_line(result) -> str:
    """The single ``Error: ...`` line a failed command printed (and that there is no traceback)."""
    stderr = result.stderr
    assert "Traceback" not in stderr and "Traceback" not in (result.stdout or ""), stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]
