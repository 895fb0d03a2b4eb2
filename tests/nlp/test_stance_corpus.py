"""The stance corpus (issue 9): labelled English and Chinese sentences that the stance classifier learns from next to
a narrative's examples (its English lines also train the stance transformer). Well-formed, both languages and every
label present, no near copy of any gold sentence (the models must not see the sets they are measured on); heads.json
names it, the scorer's version carries its digest, and a bad line or a missing folder is one line naming the fix."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from minimal_narrative import WIDGET_TARIFFS

from narrative.catalog import Narrative, load_narratives
from narrative.errors import ConfigError
from narrative.nlp.narrative_model import NarrativeScorer, scorer_dir
from narrative.nlp.stance_corpus import StanceCorpus

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "models" / "narrative_scorer" / "stance_corpus"
GOLD = ROOT / "tests" / "gold" / "narratives"
HAN = re.compile(r"[\u3400-\u9fff]")
NEAR_COPY = 0.5  # character 3-gram Jaccard at or above this is a rewording of the gold sentence
FILES = sorted(CORPUS.glob("*.jsonl"))


def _trigrams(text: str) -> frozenset[str]:
    flat = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())
    return frozenset(flat[i : i + 3] for i in range(max(1, len(flat) - 2)))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_issue_9_every_corpus_file_is_a_shipped_narrative():
    ids = {n.id for n in load_narratives()}
    assert FILES
    for path in FILES:
        assert path.stem.replace("_", "-") in ids, path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_issue_9_corpus_lines_are_well_formed(path):
    rows = _rows(path)
    assert len(rows) >= 200
    seen = set()
    for row in rows:
        assert set(row) == {"text", "label", "style"}, row
        assert row["label"] in ("positive", "negative", "neutral"), row
        assert row["style"] in ("headline", "body", "analyst", "social", "press"), row
        assert row["text"] not in seen, row["text"]
        seen.add(row["text"])
    for language in (False, True):  # English, then Chinese
        labels = [r["label"] for r in rows if bool(HAN.search(r["text"])) == language]
        assert len(labels) >= 200
        assert min(labels.count(lab) for lab in ("positive", "negative", "neutral")) >= 0.1 * len(labels)


def _presence(grams: list[frozenset[str]], vocabulary: dict[str, int]):
    from scipy.sparse import csr_matrix

    columns = [[vocabulary[g] for g in row if g in vocabulary] for row in grams]
    indptr = np.cumsum([0] + [len(c) for c in columns])
    data = np.ones(indptr[-1], dtype=np.float32)
    return csr_matrix((data, np.concatenate(columns or [[]]).astype(int), indptr), shape=(len(grams), len(vocabulary)))


def test_issue_9_corpus_lines_are_no_copies_of_gold_sentences():
    gold = [
        _trigrams(json.loads(line)["text"])
        for path in sorted(GOLD.glob("*.jsonl"))
        if path.name != "real_2020.jsonl"  # references only: no text in the repository
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(gold) > 1000
    rows = [(path.name, row["text"]) for path in FILES for row in _rows(path)]
    grams = [_trigrams(text) for _, text in rows]
    vocabulary = {g: i for i, g in enumerate(sorted(set().union(*gold, *grams)))}
    shared = (_presence(grams, vocabulary) @ _presence(gold, vocabulary).T).toarray()  # trigrams in common
    sizes = np.array([len(g) for g in grams])[:, None] + np.array([len(g) for g in gold])[None, :]
    jaccard = shared / (sizes - shared)
    for (name, text), near in zip(rows, jaccard.max(axis=1)):
        assert near < NEAR_COPY, f"{name}: rewords a gold sentence ({near:.2f}): {text}"


def _scorer_with_corpus(tmp_path, lines: list[dict] | None) -> NarrativeScorer:
    """The shipped heads without the transformer, naming ``tmp_path/corpus`` (holding ``lines`` for the widget
    narrative) as the stance corpus; ``None``: no corpus named."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    heads = json.loads((scorer_dir() / "heads.json").read_text(encoding="utf-8"))
    for key in ("transformer", "transformer_weight", "corpus"):
        heads["stance_model"].pop(key, None)
    if lines is not None:
        heads["stance_model"]["corpus"] = "corpus"
        (tmp_path / "corpus").mkdir(exist_ok=True)
        (tmp_path / "corpus" / "widget_tariffs.jsonl").write_text(
            "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
        )
    (tmp_path / "heads.json").write_text(json.dumps(heads), encoding="utf-8")
    return NarrativeScorer.load(tmp_path)


def test_issue_9_shipped_heads_name_the_corpus_and_stamp_its_digest():
    scorer = NarrativeScorer.load()
    assert scorer.corpus is not None and scorer.corpus.folder == CORPUS
    assert f"+sc-{scorer.corpus.version}" in scorer.version
    assert {n.id for n in load_narratives()} == set(scorer.corpus.files)


def test_issue_9_corpus_lines_join_the_examples_as_training_rows(tmp_path):
    """A word only the corpus uses ("zorbled": raised, per its lines) moves the classifier; without the corpus it
    does not, and the version says which one scored."""
    from narrative.api.score import is_chinese
    from narrative.nlp.narrative_model import SentenceFacts

    lines = [{"text": f"Widget duties zorbled {w}", "label": "negative", "style": "headline"} for w in "abcdefgh"]
    lines += [{"text": f"Widget levy trimmed {w}", "label": "positive", "style": "body"} for w in "abcd"]
    widgets = Narrative.model_validate(WIDGET_TARIFFS)
    text = ["Officials zorbled the widget duties"]

    def stance(scorer):
        prepared = scorer.prepare(widgets, polarity=lambda texts: [0.0] * len(texts))
        facts = [SentenceFacts(t, chinese=is_chinese(t)) for t in text]
        _, vectors = scorer.relevance(prepared, facts)
        return prepared.stance_model.probabilities(text, vectors, np.zeros(1))[0]

    plain, learned = _scorer_with_corpus(tmp_path / "a", None), _scorer_with_corpus(tmp_path / "b", lines)
    assert "+sc-" not in plain.version and f"+sc-{learned.corpus.version}" in learned.version
    negative_plain, negative_learned = stance(plain)[0], stance(learned)[0]
    assert negative_learned > negative_plain + 0.1, (negative_plain, negative_learned)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not a corpus line"),
        ('{"text": "Widget duties rise", "label": "up", "style": "headline"}', "label 'up'"),
        ('{"text": " ", "label": "negative", "style": "headline"}', "empty text"),
    ],
)
def test_issue_9_a_bad_corpus_line_is_one_line_naming_file_and_line(tmp_path, line, problem):
    good = '{"text": "Widget duties rise", "label": "negative", "style": "headline"}'
    (tmp_path / "widget_tariffs.jsonl").write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    corpus = StanceCorpus.load(tmp_path)  # files are read when a narrative needs its rows
    with pytest.raises(ConfigError) as raised:
        corpus.rows("widget-tariffs")
    message = str(raised.value)
    assert "widget_tariffs.jsonl, line 3" in message and problem in message and "\n" not in message


def test_issue_9_a_missing_corpus_folder_names_the_fix(tmp_path):
    heads = json.loads((scorer_dir() / "heads.json").read_text(encoding="utf-8"))
    heads["stance_model"].pop("transformer", None)
    heads["stance_model"]["corpus"] = "stance_corpus"
    (tmp_path / "heads.json").write_text(json.dumps(heads), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"stance_corpus.*missing.*heads\.json"):
        NarrativeScorer.load(tmp_path)
