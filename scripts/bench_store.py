#!/usr/bin/env python
"""Retired: the query-command bench is ``scripts/bench_scale.py`` (issue 14 item 4), which builds the big store by
bulk SQL in resumable phases (2M articles in minutes, not ~25) and times every query command. This name runs it
with the same options, so old notes keep working.

    .venv/bin/python scripts/bench_store.py --articles 1000000 --reuse   # = scripts/bench_scale.py ...
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.argv[0] = str(Path(__file__).with_name("bench_scale.py"))
    runpy.run_path(sys.argv[0], run_name="__main__")
