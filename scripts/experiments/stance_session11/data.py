"""Session 11 stance experiments: data (YAML examples, gold-relevant dev/dev2/dev3 rows, USE vectors, polarity).

Never reads the held-out halves. dev3 is scored as a table only (no per-sentence output).
"""

import os
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))
import compare_narrative_encoders as C

SPLITS = ("dev", "dev2", "dev3")
WORK = Path(os.environ.get("STANCE_EXPERIMENT_CACHE", "/tmp/narr11"))
CACHE = WORK / "data.pkl"


_ORIGINAL_READ = C.read_relevant


def _read_relevant(narrative_id, split):
    path = C.GOLD / f"{narrative_id.replace('-', '_')}.{split}.jsonl"
    return _ORIGINAL_READ(narrative_id, split) if path.is_file() else []


def load():
    if CACHE.exists():
        return pickle.loads(CACHE.read_bytes())
    assert "heldout" not in SPLITS
    C.SPLITS = SPLITS
    C.read_relevant = _read_relevant
    (WORK / "enc").mkdir(parents=True, exist_ok=True)
    d = C.Data(WORK / "enc", {})
    from narrative.api.score import narrative_scorer

    out = dict(
        examples=d.examples,
        gold=d.gold,
        polarity=d.polarity,
        use=d.vectors["use"],
        ids=[n.id for n in d.narratives],
        settings=narrative_scorer().stance_settings,
    )
    CACHE.write_bytes(pickle.dumps(out))
    return out


if __name__ == "__main__":
    D = load()
    print(D["settings"], {k: len(v) for k, v in D["gold"].items()})
    print({n: {k: len(v) for k, v in ex.items()} for n, ex in D["examples"].items()})
