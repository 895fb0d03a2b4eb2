"""Stance experiments on dev2 (never held-out). Caches USE vectors + polarity."""

import sys, json, pickle, os
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))
import compare_narrative_encoders as C
from narrative.nlp.stance_model import STANCE_LABELS, ExampleStanceModel, StanceSettings, stance_value
from narrative.nlp.stance import stance_label
from narrative.api.score import narrative_scorer, is_chinese

WORK = Path(os.environ.get("STANCE_EXPERIMENT_CACHE", "/tmp/narr"))
CACHE = WORK / "data.pkl"


def load():
    if CACHE.exists():
        return pickle.loads(CACHE.read_bytes())
    cache = WORK / "enc"
    cache.mkdir(parents=True, exist_ok=True)
    d = C.Data(cache, {})
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
