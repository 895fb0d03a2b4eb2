from lib import *
import re, narrative.nlp.narrative_text as NT
from cues import cue_counts
from sklearn.model_selection import StratifiedKFold

LEAD = re.compile(
    r"(?i)^\W*(?:although|though|even though|even with|even as|despite|in spite of|while|whereas)\b|^\W*(?:尽管|虽然|虽|即使|即便|哪怕)"
)
BREAK = re.compile(r"[,;:，；：]")
orig = NT.last_clause


def clause2(text):
    c = orig(text)
    if c is None and LEAD.search(text):
        m = BREAK.search(text)
        if m and len(text) - m.end() >= 4:
            return text[m.end() :].strip()
    return c


def oof(make_opts, nid):
    texts, labels = train_set(nid)
    hit = 0
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        m = Model(**make_opts(nid)).fit([texts[i] for i in tr], labels[tr])
        hit += (predict(m.proba([texts[i] for i in te])) == labels[te]).sum()
    return hit


def run(name, opts_of, base=None, oofbase=None):
    r = evaluate(lambda nid: Model(**opts_of(nid)).fit(*train_set(nid)))
    show(name, r, base)
    o = {nid: oof(opts_of, nid) for nid in D["ids"]}
    print("   OOF examples hits:", o, "" if not oofbase else {k: o[k] - oofbase[k] for k in o}, flush=True)
    return r, o


import lib

base, ob = run("shipped", lambda nid: {})
lib.last_clause = clause2
run("leading concessive clause", lambda nid: {}, base, ob)
lib.last_clause = orig
for w in (0.3, 0.6, 1.0):
    run(f"YAML-style cues w{w}", lambda nid: {"extra": lambda t, st: cue_counts(nid, st) * w}, base, ob)
