#!/usr/bin/env bash
# Run the test suite. Creates .venv and installs the package with its test extras first,
# so this one command is all a fresh machine needs. Extra arguments go to pytest, e.g.
#   scripts/test.sh -m "not wheel"   # skip building and installing the wheel (tests/test_wheel.py, ~2 min)
#   scripts/test.sh -n 0 -k fetch    # one process (pytest-xdist's -n 0), e.g. to use a debugger
# The suite runs on NARRATIVE_TEST_PROCESSES processes (default 2; pytest-xdist), a test file per process at a time
# (--dist loadfile: a module's fixtures, such as its template store or local Ray instance, are built once).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
exec .venv/bin/python -m pytest -n "${NARRATIVE_TEST_PROCESSES:-2}" --dist loadfile "$@"
