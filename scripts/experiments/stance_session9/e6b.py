from lib import *
import re, yaml
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.feature_extraction.text import CountVectorizer

POLES = {}
for f in ("ai_capex", "china_ai", "chip_export_controls"):
    d = yaml.safe_load(open(ROOT / "models" / "narratives" / f"{f}.yaml"))
    POLES[d["id"]] = d["poles"]


def pole_rows(nid):
    rows = []
    for pole in ("positive", "negative"):
        txt = POLES[nid][pole].split(":", 1)[-1]
        parts = [p.strip(" .") for p in re.split(r",(?![^()]*\))", txt)]
        rows += [(p, pole) for p in parts if len(p) > 3]
    return rows


def with_poles(nid):
    texts, labels = train_set(nid)
    extra = pole_rows(nid)
    return texts + [t for t, _ in extra], np.concatenate([labels, [l for _, l in extra]])


# pole phrases are not in the vector/polarity caches: encode them
from narrative.nlp.encoder import encode
from narrative.api.score import scoring_context, sentence_sentiment

new = [t for nid in D["ids"] for t, _ in pole_rows(nid) if t not in D["use"]]
if new:
    for t, v in zip(new, encode(scoring_texts(new))):
        D["use"][t] = v
    model = scoring_context(D["ids"][0]).model
    for t, (p, _) in zip(new, sentence_sentiment(model, new)):
        D["polarity"][t] = p
print(pole_rows("china-ai"))


class NBStack(Model):
    """NB one-vs-rest log-prob features over char n-gram counts, out-of-fold on the training rows."""

    def nbfeat(self, st, nb):
        lp = nb.predict_log_proba(self.cv.transform(st))
        lp = lp - lp.mean(1, keepdims=True)
        return lp * self.o["nbw"]

    def fit(self, texts, labels):
        st = scoring_texts(texts)
        self.cv = CountVectorizer(analyzer="char_wb", ngram_range=(1, 4)).fit(st)
        F = np.zeros((len(texts), 3))
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=1).split(texts, labels):
            nb = MultinomialNB(alpha=self.o.get("alpha", 0.5)).fit(self.cv.transform([st[i] for i in tr]), labels[tr])
            F[te] = self.nbfeat([st[i] for i in te], nb)
        self.nb = MultinomialNB(alpha=self.o.get("alpha", 0.5)).fit(self.cv.transform(st), labels)
        self._train = (texts, F)
        self.o["extra"] = lambda t, s: F if t is self._train[0] else self.nbfeat(s, self.nb)
        return super().fit(texts, labels)


def oof(make, nid, rows=train_set):
    texts, labels = train_set(nid)
    hit = 0
    extra_t, extra_l = [], []
    if rows is not train_set:
        e = pole_rows(nid)
        extra_t = [t for t, _ in e]
        extra_l = [l for _, l in e]
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        m = make().fit([texts[i] for i in tr] + extra_t, np.concatenate([labels[tr], extra_l]).astype(labels.dtype))
        hit += (predict(m.proba([texts[i] for i in te])) == labels[te]).sum()
    return int(hit)


for split in ("dev2", "dev"):
    base = evaluate(lambda nid: Model().fit(*train_set(nid)), split=split)
    show(f"[{split}] shipped", base)
    show(f"[{split}] + pole phrases as rows", evaluate(lambda nid: Model().fit(*with_poles(nid)), split=split), base)
    for w in (0.1, 0.3):
        show(f"[{split}] NB stack w{w}", evaluate(lambda nid: NBStack(nbw=w).fit(*train_set(nid)), split=split), base)
import sys

sys.exit(0)
ob = {}
print("OOF shipped", ob)
print("OOF pole rows", {nid: oof(lambda: Model(), nid, rows=None) - ob[nid] for nid in D["ids"]})
for w in (0.1, 0.3):
    print(f"OOF NB w{w}", {nid: oof(lambda: NBStack(nbw=w), nid) - ob[nid] for nid in D["ids"]}, flush=True)
