# Sourced by the other scripts: make .venv and install narrative (editable) with test extras.
# Re-installs only when pyproject.toml or setup.py changed since the last install.
PYTHON_BIN=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON_BIN" -m venv .venv
fi
stamp=.venv/.narrative-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  # The CPU build of torch, pinned: an unpinned torch pulls a multi-GB CUDA build.
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==${NARRATIVE_TORCH:-2.13.0}" \
      2> >(grep -v -e "^WARNING: Location '" >&2)
  fi
  # pip's notes about this machine's mirror layout are noise; real errors still show.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,train]' \
    2> >(grep -v -e "^WARNING: Location '" -e "does not provide the extra" >&2)
  touch "$stamp"
fi
