import sys, numpy as np
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exp import *
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from narrative.nlp.narrative_text import scoring_texts, last_clause

D = load()
S = D["settings"]
LAB = np.array(STANCE_LABELS)


def train_set(nid):
    ex = D["examples"][nid]
    texts, labels = [], []
    for lab in STANCE_LABELS:
        texts += ex[lab]
        labels += [lab] * len(ex[lab])
    return texts, np.array(labels)


def vec(texts):
    return np.vstack([D["use"][t] for t in texts])


def pol(texts):
    return np.array([D["polarity"][t] for t in texts])


def zh(texts):
    return np.array([is_chinese(t) for t in texts], dtype=float)


class Model:
    """Generic variant of the shipped classifier. opts: lang_vec, lang_pol, extra(fn texts->matrix), c, cw"""

    def __init__(self, **opts):
        self.o = opts

    def design(self, texts, fit=False):
        o = self.o
        st = scoring_texts(texts)
        if fit:
            self.tf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, o.get("ngram", 4)), sublinear_tf=True).fit(st)
        g = self.tf.transform(st)
        blocks = [g]
        cw = o.get("clause", S.clause_weight)
        if cw:
            blocks.append(self.tf.transform([last_clause(t) or "" for t in st]) * cw)
        v = vec(texts) * o.get("vw", S.vector_weight)
        p = pol(texts)[:, None] * o.get("pw", S.polarity_weight)
        z = zh(texts)[:, None]
        blocks += [csr_matrix(v), csr_matrix(p)]
        if o.get("lang_vec"):
            blocks.append(csr_matrix(v * z * o["lang_vec"]))
        if o.get("lang_pol"):
            blocks.append(csr_matrix(p * z))
        if o.get("lang_bias"):
            blocks.append(csr_matrix(z * o["lang_bias"]))
        if o.get("extra"):
            blocks.append(csr_matrix(o["extra"](texts, st)))
        return hstack(blocks).tocsr()

    def fit(self, texts, labels):
        self.lr = LogisticRegression(C=self.o.get("c", S.c), max_iter=5000, class_weight=self.o.get("cw", "balanced"))
        self.lr.fit(self.design(texts, True), labels)
        return self

    def proba(self, texts):
        P = self.lr.predict_proba(self.design(texts))
        out = np.zeros((len(texts), 3))
        for j, c in enumerate(self.lr.classes_):
            out[:, STANCE_LABELS.index(c)] = P[:, j]
        return out


def predict(probs, nbias=0.0):
    p = probs.copy()
    p[:, 1] *= np.exp(nbias)
    return LAB[p.argmax(1)]


def evaluate(make, split="dev2", nbias=None, verbose=False):
    """make: nid -> fitted model (or callable returning probs). returns dict nid->(hits_all, en, zh, n)"""
    res = {}
    for nid in D["ids"]:
        rows = D["gold"][(nid, split)]
        texts = [r["text"] for r in rows]
        m = make(nid)
        probs = m.proba(texts)
        nb = (nbias or {}).get(nid, 0.0) if isinstance(nbias, dict) else (nbias or 0.0)
        pred = predict(probs, nb)
        gold = np.array([r["stance"] for r in rows])
        lang = np.array([r["lang"] for r in rows])
        hit = pred == gold
        res[nid] = (int(hit.sum()), int(hit[lang == "en"].sum()), int(hit[lang == "zh"].sum()), len(rows))
        if verbose:
            for r, p, pr in zip(rows, pred, probs):
                if p != r["stance"]:
                    print(f"  MISS {nid} {r['lang']} gold={r['stance']} pred={p} p={np.round(pr, 2)} :: {r['text']}")
    return res


def show(name, res, base=None):
    cells = []
    tot = 0
    for nid in D["ids"]:
        h, e, z, n = res[nid]
        tot += h
        d = f" {h - base[nid][0]:+d}" if base else ""
        cells.append(f"{nid[:8]} {h}/{n} ({e};{z}){d}")
    dt = f" total {tot}" + (f" ({tot - sum(b[0] for b in base.values()):+d})" if base else "")
    print(f"{name:40s} | " + " | ".join(cells) + dt, flush=True)


def shipped(nid):
    texts, labels = train_set(nid)
    m = ExampleStanceModel.fit(D["examples"][nid], vec(texts), S, pol(texts))

    class W:
        def proba(self, t):
            return m.probabilities(t, vec(t), pol(t))

    return W()
