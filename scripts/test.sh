#!/usr/bin/env bash
# Run the test suite. Creates .venv and installs the package with its test extras first,
# so this one command is all a fresh machine needs. Extra arguments go to pytest, e.g.
#   scripts/test.sh -m "not wheel"   # skip building and installing the wheel (tests/test_wheel.py, ~2 min)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
exec .venv/bin/python -m pytest "$@"
