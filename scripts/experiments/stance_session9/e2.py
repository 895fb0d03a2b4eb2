from lib import *
import re

base = evaluate(lambda nid: Model().fit(*train_set(nid)))
show("shipped", base)
V = {
    "lang_vec 1": dict(lang_vec=1.0),
    "lang_pol": dict(lang_pol=1),
    "lang_bias": dict(lang_bias=1.0),
    "lang_vec+pol+bias": dict(lang_vec=1.0, lang_pol=1, lang_bias=1.0),
    "cw None": dict(cw=None),
    "clause 1.0": dict(clause=1.0),
    "clause 0.3": dict(clause=0.3),
    "pw 1.0": dict(pw=1.0),
    "C 3": dict(c=3.0),
    "C 30": dict(c=30.0),
}
for k, o in V.items():
    show(k, evaluate(lambda nid: Model(**o).fit(*train_set(nid))), base)


# per-language classifiers
def perlang(nid):
    texts, labels = train_set(nid)
    z = zh(texts).astype(bool)
    ms = {l: Model().fit([t for t, q in zip(texts, z) if q == l], labels[z == l]) for l in (True, False)}

    class W:
        def proba(self, t):
            q = zh(t).astype(bool)
            out = np.zeros((len(t), 3))
            for l in (True, False):
                idx = np.where(q == l)[0]
                if len(idx):
                    out[idx] = ms[l].proba([t[i] for i in idx])
            return out

    return W()


show("per-language classifiers", evaluate(perlang), base)
