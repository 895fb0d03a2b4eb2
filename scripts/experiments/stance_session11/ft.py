"""Fine-tune MiniLM-L6 (from the shipped sentence-sentiment model or the base) as a stance classifier.

--design pair (shipped): (narrative name, sentence) -> negative/neutral/positive, one BertForSequenceClassification
(the sentiment model's architecture, so it runs on the same runtime); --design heads: one three-way head per
narrative over mean-pooled tokens. Trained with
three-way head per narrative, on the English YAML examples only; measure on the gold-relevant English sentences of
dev and dev2 (dev3 only with --dev3, table only). Never reads held-out."""

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import ROOT, load
from narrative.api.score import is_chinese
from narrative.nlp.stance_model import STANCE_LABELS, ExampleStanceModel

p = argparse.ArgumentParser()
p.add_argument("--init", default=str(ROOT / "models" / "sentiment"))
p.add_argument("--lr", type=float, default=5e-5)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--zh", action="store_true", help="train on Chinese examples too")
p.add_argument("--dev3", action="store_true")
p.add_argument("--lono", default="", help="leave this narrative out of training")
p.add_argument("--save", default="")
p.add_argument("--corpus", nargs="*", default=[], help="extra labelled jsonl files <slug>.<x>.jsonl (text, label)")
p.add_argument("--lr-corpus", action="store_true", help="also fit the n-gram classifier on the corpus rows")
p.add_argument("--design", choices=["pair", "heads"], default="pair")
p.add_argument("--no-yaml", action="store_true", help="train the transformer on the corpus only")
p.add_argument("--eval-yaml", action="store_true", help="score the YAML English examples (LR out of fold, 5 folds)")
p.add_argument("--weights", default="0,0.3,0.5,0.7,1")
args = p.parse_args()

torch.manual_seed(args.seed)
random.seed(args.seed)
np.random.seed(args.seed)
torch.set_num_threads(2)
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer
from narrative.catalog import load_narratives

NAMES = {n.id: n.name for n in load_narratives()}

D = load()
S = D["settings"]
IDS = D["ids"]
splits = ["dev", "dev2"] + (["dev3"] if args.dev3 else [])


def keep(t):
    return args.zh or not is_chinese(t)


train = []
for k, nid in enumerate(IDS):
    if nid == args.lono:
        continue
    for j, lab in enumerate(STANCE_LABELS):
        train += [(t, k, j) for t in D["examples"][nid][lab] if keep(t) and not args.no_yaml]
extra = {nid: {lab: [] for lab in STANCE_LABELS} for nid in IDS}
for f in args.corpus:
    nid = Path(f).name.split(".")[0].replace("_", "-")
    for line in open(f, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            extra[nid][r["label"]].append(r["text"])
for k, nid in enumerate(IDS):
    if nid == args.lono:
        continue
    for j, lab in enumerate(STANCE_LABELS):
        train += [(t, k, j) for t in extra[nid][lab] if keep(t)]
print("train rows", len(train), {n: sum(map(len, e.values())) for n, e in extra.items()}, flush=True)

EXTRA_VEC, EXTRA_POL = {}, {}
if args.lr_corpus:
    from narrative.nlp.encoder import encode
    from narrative.nlp.narrative_text import scoring_texts

    new = [t for e in extra.values() for ts in e.values() for t in ts if t not in D["use"]]
    new = list(dict.fromkeys(new))
    if new:
        import compare_narrative_encoders as CNE

        EXTRA_VEC = dict(zip(new, encode(scoring_texts(new))))
        model = CNE.scoring_context(IDS[0]).model
        EXTRA_POL = dict(zip(new, (pp for pp, _ in CNE.sentence_sentiment(model, new))))
# LR (shipped) probabilities on the gold rows
lr_probs = {}
for nid in IDS:
    ex = D["examples"][nid]
    if args.lr_corpus:
        ex = {lab: list(ex[lab]) + extra[nid][lab] for lab in STANCE_LABELS}
    tr = [t for lab in STANCE_LABELS for t in ex[lab]]
    vec = lambda ts: np.vstack([D["use"][t] if t in D["use"] else EXTRA_VEC[t] for t in ts])  # noqa: E731
    pol = lambda ts: np.array([D["polarity"][t] if t in D["polarity"] else EXTRA_POL[t] for t in ts])  # noqa: E731
    m = ExampleStanceModel.fit(ex, vec(tr), S, pol(tr))
    for s in splits:
        rows = D["gold"][(nid, s)]
        if rows:
            ts = [r["text"] for r in rows]
            lr_probs[(nid, s)] = m.probabilities(ts, vec(ts), pol(ts))

if args.eval_yaml:
    from sklearn.model_selection import StratifiedKFold

    splits = [*splits, "yaml"]
    for nid in IDS:
        ex = D["examples"][nid]
        tr = [t for lab in STANCE_LABELS for t in ex[lab]]
        y = np.array([lab for lab in STANCE_LABELS for t in ex[lab]])
        vec = lambda ts: np.vstack([D["use"][t] for t in ts])  # noqa: E731
        pol = lambda ts: np.array([D["polarity"][t] for t in ts])  # noqa: E731
        oof = np.zeros((len(tr), 3))
        for a_idx, b_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(tr, y):
            sub = {lab: [tr[i] for i in a_idx if y[i] == lab] for lab in STANCE_LABELS}
            ta = [t for lab in STANCE_LABELS for t in sub[lab]]
            m = ExampleStanceModel.fit(sub, vec(ta), S, pol(ta))
            tb = [tr[i] for i in b_idx]
            oof[b_idx] = m.probabilities(tb, vec(tb), pol(tb))
        en = [i for i, t in enumerate(tr) if not is_chinese(t)]
        D["gold"][(nid, "yaml")] = [{"text": tr[i], "stance": y[i], "lang": "en"} for i in en]
        lr_probs[(nid, "yaml")] = oof[en]
tok = AutoTokenizer.from_pretrained(args.init)
if args.design == "pair":
    body = AutoModelForSequenceClassification.from_pretrained(args.init, dtype=torch.float32, num_labels=3)
    params = list(body.parameters())
else:
    body = AutoModel.from_pretrained(args.init, dtype=torch.float32)
    heads = torch.nn.Linear(body.config.hidden_size, 3 * len(IDS))
    drop = torch.nn.Dropout(0.1)
    params = list(body.parameters()) + list(heads.parameters())
opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
steps = max(1, args.epochs) * ((len(train) + args.batch - 1) // args.batch)
sched = torch.optim.lr_scheduler.LambdaLR(
    opt,
    lambda s: (
        min(1.0, s / (0.1 * steps)) * max(0.0, (steps - s) / steps) / max(1e-9, min(1.0, s / (0.1 * steps)))
        if s < 0.1 * steps
        else max(0.0, (steps - s) / (0.9 * steps))
    ),
)
# class weights per narrative (balanced)
cw = {}
for k in range(len(IDS)):
    counts = np.array([sum(1 for t, kk, j in train if kk == k and j == c) for c in range(3)], dtype=float)
    cw[k] = torch.tensor(counts.sum() / (3 * np.maximum(counts, 1)), dtype=torch.float32)


def logits(pairs, train_mode):
    """(len(pairs), 3) logits of (narrative id, text) pairs."""
    if args.design == "pair":
        b = tok(
            [NAMES[n] for n, _ in pairs],
            [t for _, t in pairs],
            padding=True,
            truncation="only_second",
            max_length=96,
            return_tensors="pt",
        )
        return body(**b).logits
    b = tok([t for _, t in pairs], padding=True, truncation=True, max_length=96, return_tensors="pt")
    h = body(**b).last_hidden_state
    m = b["attention_mask"].unsqueeze(-1).float()
    pooled = (h * m).sum(1) / m.sum(1)
    if train_mode:
        pooled = drop(pooled)
    z = heads(pooled)
    rows = torch.arange(len(pairs))[:, None]
    columns = torch.tensor([[3 * IDS.index(n) + c for c in range(3)] for n, _ in pairs])
    return z[rows, columns]


def tf_probs(nid, texts):
    body.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            z = logits([(nid, t) for t in texts[i : i + 64]], False)
            out.append(torch.softmax(z, -1).numpy())
    return np.vstack(out)


def report(epoch):
    line = {}
    for w in [float(x) for x in args.weights.split(",")]:
        cells, tot = [], 0
        for s in splits:
            for nid in IDS:
                rows = D["gold"][(nid, s)]
                if not rows:
                    continue
                en = [i for i, r in enumerate(rows) if r["lang"] == "en"]
                ts = [rows[i]["text"] for i in en]
                pt = tf_probs(nid, ts) if w else 0
                pl = lr_probs[(nid, s)][en]
                pr = (1 - w) * pl + w * pt
                pred = [STANCE_LABELS[j] for j in pr.argmax(1)]
                hits = sum(pp == rows[i]["stance"] for pp, i in zip(pred, en))
                cells.append(f"{s}:{nid[:5]} {hits}/{len(en)}")
                tot += hits
        line[w] = tot
        print(f"epoch {epoch} w={w:.2f} | " + " ".join(cells) + f" | total {tot}", flush=True)
    return line


report(0)
step = 0
for epoch in range(1, args.epochs + 1):
    body.train()
    random.shuffle(train)
    t0 = time.time()
    total = 0.0
    for i in range(0, len(train), args.batch):
        batch = train[i : i + args.batch]
        z = logits([(IDS[k], t) for t, k, _ in batch], True)
        loss = 0
        for r, (_t, k, j) in enumerate(batch):
            loss = loss + torch.nn.functional.cross_entropy(z[r : r + 1], torch.tensor([j]), weight=cw[k])
        loss = loss / len(batch)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        total += float(loss) * len(batch)
    print(f"epoch {epoch} loss {total / len(train):.3f} {time.time() - t0:.0f}s", flush=True)
    report(epoch)
if args.save:
    Path(args.save).mkdir(parents=True, exist_ok=True)
    body.save_pretrained(args.save)
    tok.save_pretrained(args.save)
    if args.design == "heads":
        torch.save(heads.state_dict(), Path(args.save) / "heads.pt")
    json.dump({"ids": IDS, "args": vars(args)}, open(Path(args.save) / "meta.json", "w"))
