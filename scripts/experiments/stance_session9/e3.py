from lib import *
import re
from sklearn.model_selection import StratifiedKFold

base = evaluate(lambda nid: Model().fit(*train_set(nid)))
show("shipped", base)
# out-of-fold probabilities on the examples
oof = {}
for nid in D["ids"]:
    texts, labels = train_set(nid)
    P = np.zeros((len(texts), 3))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        m = Model().fit([texts[i] for i in tr], labels[tr])
        P[te] = m.proba([texts[i] for i in te])
    oof[nid] = (P, labels)
    accs = {b: (predict(P, b) == labels).mean() for b in np.round(np.arange(-1.5, 1.51, 0.25), 2)}
    print(nid, "oof acc by neutral bias:", {k: round(v, 3) for k, v in accs.items()})
grid = np.round(np.arange(-1.5, 1.51, 0.25), 2)
best = {
    nid: float(max(grid, key=lambda b: ((predict(oof[nid][0], b) == oof[nid][1]).mean(), -abs(b)))) for nid in D["ids"]
}
print("CV-chosen neutral bias", best)
show("neutral bias (CV on examples)", evaluate(lambda nid: Model().fit(*train_set(nid)), nbias=best), base)
for b in (-0.5, 0.5):
    show(f"neutral bias {b} (diagnostic)", evaluate(lambda nid: Model().fit(*train_set(nid)), nbias=b), base)
