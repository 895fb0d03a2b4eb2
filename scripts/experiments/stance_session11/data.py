"""Session 11 stance experiments: data (YAML examples, gold-relevant dev/dev2/dev3 rows, USE vectors, polarity).

Session 9's loader (`../stance_session9/exp.py`) with dev3 added (china-ai and ai-capex have one). Never reads the
held-out halves. dev3 is scored as a table only (no per-sentence output).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
os.environ.setdefault("STANCE_EXPERIMENT_CACHE", "/tmp/narr11")
sys.path.insert(0, str(HERE.parent / "stance_session9"))
import exp

C = exp.C  # scripts/compare_narrative_encoders.py
SPLITS = ("dev", "dev2", "dev3")
_ORIGINAL_READ = C.read_relevant


def _read_relevant(narrative_id, split):
    path = C.GOLD / f"{narrative_id.replace('-', '_')}.{split}.jsonl"
    return _ORIGINAL_READ(narrative_id, split) if path.is_file() else []


def load():
    assert "heldout" not in SPLITS
    C.SPLITS = SPLITS
    C.read_relevant = _read_relevant
    return exp.load()


if __name__ == "__main__":
    D = load()
    print(D["settings"], {k: len(v) for k, v in D["gold"].items()})
    print({n: {k: len(v) for k, v in ex.items()} for n, ex in D["examples"].items()})
