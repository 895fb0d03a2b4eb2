from lib import *
from cues import cue_counts, clean_counts

for split in ("dev2", "dev"):
    base = evaluate(lambda nid: Model().fit(*train_set(nid)), split=split)
    show(f"[{split}] shipped", base)
    for w in (0.3, 0.6):
        show(
            f"[{split}] cues w{w}",
            evaluate(lambda nid: Model(extra=lambda t, st: cue_counts(nid, st) * w).fit(*train_set(nid)), split=split),
            base,
        )
        show(
            f"[{split}] clean cues w{w}",
            evaluate(
                lambda nid: Model(extra=lambda t, st: clean_counts(nid, st) * w).fit(*train_set(nid)), split=split
            ),
            base,
        )
