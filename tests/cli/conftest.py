"""Fixtures of the command-line hardening tests (issue 11)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def shared_dir():
    """A folder every user can enter (pytest's tmp_path is private to root), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="narrative-issue11-"))
    folder.chmod(0o755)
    yield folder
    for root, _dirs, _files in os.walk(folder):
        os.chmod(root, stat.S_IRWXU)
    shutil.rmtree(folder)
