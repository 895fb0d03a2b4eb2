"""The shipped sentiment model (models/sentiment) through narrative.nlp.sentiment.SentimentModel."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import subprocess
import sys

import pytest

from narrative.errors import ConfigError
from narrative.nlp.sentiment import SentimentModel, SentimentScore, default_model_path


def test_sentiment_model_ships():
    # The model is part of the project: a missing one fails here, it never skips the tests below.
    assert (default_model_path() / "config.json").is_file(), (
        "models/sentiment is missing: see scripts/train_sentiment.py"
    )


# Hand-written for these tests.
POSITIVE = [
    "Quarterly profit jumped 40% and the company raised its full-year forecast.",
    "The retailer's net loss narrowed sharply and sales grew for a third straight quarter.",
    "Shares surged after the chipmaker won a record order from a large cloud customer.",
]
NEGATIVE = [
    "The airline swung to a heavy loss and warned that bookings keep falling.",
    "Shares slumped 15% after the bank cut its dividend and wrote down bad loans.",
    "The carmaker will close two plants and cut 3,000 jobs as demand collapses.",
]
NEUTRAL = [
    "The annual general meeting will be held in Oslo on 12 May.",
    "The company is headquartered in Shenzhen and has offices in Singapore.",
    "The results will be published before the market opens on Thursday.",
]


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.load(threads=2)


def test_loads_offline_from_repo(model):
    assert model.version.startswith("sentiment@")
    assert len(model.version.split("@")[1]) == 8


@pytest.mark.parametrize(("texts", "label"), [(POSITIVE, "positive"), (NEGATIVE, "negative"), (NEUTRAL, "neutral")])
def test_labels_are_sane(model, texts, label):
    scores = model.score(texts)
    assert [s.label for s in scores] == [label] * len(texts)
    for s in scores:
        assert abs(s.negative + s.neutral + s.positive - 1) < 1e-4
        assert s.polarity == pytest.approx(s.positive - s.negative)


def test_order_follows_input(model):
    texts = [NEUTRAL[0], POSITIVE[0], NEGATIVE[0] + " " + NEGATIVE[1], "Up."]
    together = model.score(texts, batch_size=2)
    model.clear_cache()
    alone = [model.score([t])[0] for t in texts]
    assert [s.label for s in together] == [s.label for s in alone]
    for a, b in zip(together, alone):
        assert a.positive == pytest.approx(b.positive, abs=1e-3)
    assert model.score([]) == []


def test_entity_targeted_pairs_differ(model):
    sentence = "Alibaba beat estimates while Baidu missed"
    ali, baidu = model.score_targets([("Alibaba", sentence), ("Baidu", sentence)])
    assert isinstance(ali, SentimentScore)
    assert ali.polarity > 0 > baidu.polarity
    assert ali.polarity - baidu.polarity > 0.5


def test_scores_are_deterministic(model):
    texts = POSITIVE + NEGATIVE + NEUTRAL
    assert model.score(texts) == model.score(texts)
    pairs = [("Tencent", "Tencent rallied as NetEase slipped")] * 2
    assert model.score_targets(pairs)[0] == model.score_targets(pairs)[1]


def test_missing_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"no_model_here: not a model directory"):
        SentimentModel.load(tmp_path / "no_model_here")


def test_directory_without_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"no config\.json"):
        SentimentModel.load(tmp_path)


def test_broken_weights_are_a_config_error(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match=str(tmp_path.name)):
        SentimentModel.load(tmp_path)


def test_unreachable_hub_id_is_a_config_error():
    with pytest.raises(
        ConfigError, match=r"narrative-tests/no-such-model: neither a local model directory nor reachable"
    ):
        SentimentModel.load("narrative-tests/no-such-model")


def test_issue_12_identical_sentences_are_scored_once(model):
    model.clear_cache()
    first = model.score([POSITIVE[0], NEGATIVE[0], POSITIVE[0]])
    assert first[0] is first[2]  # one run of the model for the copy
    assert model.score([NEGATIVE[0]])[0] is first[1]  # and none for a sentence seen earlier in the process


def test_issue_12_onnx_backend_imports_neither_torch_nor_transformers():
    code = (
        "import sys; from narrative.nlp.sentiment import SentimentModel; m = SentimentModel.load(device='cpu'); "
        "m.score(['Profit rose.']); m.score_targets([('Acme', 'Acme beat estimates.')]); "
        "print(m.backend, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["onnx-int8", "False", "False"]


def test_issue_12_torch_backend_tokenises_and_labels_as_onnx(model):
    torch_model = SentimentModel.load(device="cpu", backend="torch", threads=2)
    texts = POSITIVE + NEGATIVE + NEUTRAL
    assert torch_model.backend == "torch" and torch_model.encode(texts) == model.encode(texts)
    assert [s.label for s in torch_model.score(texts)] == [s.label for s in model.score(texts)]
    pairs = [("Alibaba", "Alibaba beat estimates while Baidu missed")]
    assert torch_model.encode(pairs) == model.encode(pairs)


def test_issue_12_score_does_not_depend_on_batchmates(model):
    """A sentence scores the same alone and among 63 others (int8 dynamic quantisation scales per run, so batches
    moved probabilities by up to 0.19): what ``analyze`` prints for one sentence is what ``enrich`` stores."""
    target = "Shares of the chipmaker slipped after it kept its outlook unchanged."
    others = [f"{text} ({n})" for n in range(21) for text in (POSITIVE[0], NEGATIVE[0], NEUTRAL[0])]
    model.clear_cache()
    alone = model.score([target])[0]
    model.clear_cache()
    crowded = model.score([*others, target])[-1]
    assert crowded == alone


def test_issue_12_equal_length_batchmates_leave_a_score_unchanged(model):
    """Texts of one token count run together when the model is batch-invariant (static int8 ships that promise
    in its metadata): a sentence among 15 others of its exact length scores the same bits as alone. With a model
    that makes no such promise each text runs alone, and this holds as well."""
    target = "Shares of the chipmaker slipped after it kept its outlook unchanged."
    width = len(model.encode([target])[0][0])
    verbs = ("rose", "fell", "jumped", "slipped", "gained", "dropped", "climbed", "sank")
    nouns = ("chipmaker", "bank", "retailer", "insurer", "miner", "airline", "carmaker", "lender")
    candidates = [target.replace("chipmaker", n).replace("slipped", v) for n in nouns for v in verbs]
    peers = [t for t in candidates if t != target and len(model.encode([t])[0][0]) == width][:15]
    assert len(peers) == 15  # the batch really holds 16 texts of one length
    model.clear_cache()
    alone = model.score([target])[0]
    model.clear_cache()
    crowded = model.score([*peers[:7], target, *peers[7:]])
    assert crowded[7] == alone


def test_issue_12_runs_on_several_threads_give_the_same_bits_in_order(model):
    """threads=N runs N one-text runs at once (one ONNX thread each): the scores are those of one thread, in the
    input order, for the cached path and the raw one."""
    texts = [f"{text} ({n})" for n in range(6) for text in (*POSITIVE, *NEGATIVE, *NEUTRAL)]
    one = SentimentModel.load(threads=1)
    assert model._pool.workers == 2 and one._pool.workers == 1
    model.clear_cache()
    assert model.score(texts) == one.score(texts)
    assert model.run_encoded(model.encode(texts)) == one.run_encoded(one.encode(texts))


def test_issue_12_run_pool_works_in_a_forked_child():
    """A process forked after the pool started (api.parallel's workers) gets threads of its own, not a dead pool."""
    from narrative.nlp.sentiment_runtime import RunPool

    pool = RunPool(2)
    assert pool.map(lambda x: x + 1, [1, 2, 3]) == [2, 3, 4]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, never return into pytest
        try:
            os.write(write, repr(pool.map(lambda x: x * 10, [1, 2, 3])).encode())
        finally:
            os._exit(0)
    os.close(write)
    import select
    import signal

    answered = select.select([read], [], [], 60)[0]  # a dead pool would wait forever: fail instead of hanging
    if not answered:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert answered and os.read(read, 100).decode() == "[10, 20, 30]"


def test_issue_12_shipped_onnx_is_the_fused_export(model):
    """models/sentiment/model.int8.onnx is scripts/export_sentiment_onnx.py's default: attention fused, residual Add
    and LayerNormalization left apart, then dynamic int8 (its metadata says so; the model card has the accuracy
    against the earlier files)."""
    assert model.backend == "onnx-int8"
    meta = model.session.get_modelmeta().custom_metadata_map
    assert meta.get("narrative.export") == (
        "eager attention fused by onnxruntime.transformers (residual Add + LayerNormalization left apart), "
        "per-channel dynamic int8"
    )
    assert not model.batch_invariant


def test_issue_12_layer_norms_run_apart_from_their_residual_add(tmp_path):
    """onnxruntime's SkipLayerNormalization took ~3x the CPU of the Add and LayerNormalization it replaces (session
    8): the shipped file has none, and the session keeps onnxruntime from fusing them back at load."""
    import collections

    import onnx

    from narrative.nlp.sentiment_runtime import onnx_session

    shipped = default_model_path() / "model.int8.onnx"
    written = collections.Counter(n.op_type for n in onnx.load(str(shipped)).graph.node)
    assert written["SkipLayerNormalization"] == 0 and written["LayerNormalization"] == 12
    onnx_session(shipped, optimized_model=tmp_path / "as_run.onnx")
    ran = collections.Counter(n.op_type for n in onnx.load(str(tmp_path / "as_run.onnx")).graph.node)
    assert ran["SkipLayerNormalization"] == 0 and ran["LayerNormalization"] == 12
    assert ran["QAttention"] == 6  # the attention is still fused (and int8)


def test_issue_12_any_order_of_the_texts_gives_the_same_scores(model):
    """Texts are grouped by token count before they run (and, for a batch-invariant model, batched): shuffling the
    input moves no score by a single bit (the tolerance is zero), whatever the order and the number of threads."""
    import random

    texts = [f"{text} ({n})" for n in range(4) for text in (*POSITIVE, *NEGATIVE, *NEUTRAL)]
    texts += ["Up.", NEGATIVE[0] + " " + POSITIVE[1]]
    model.clear_cache()
    reference = dict(zip(texts, model.score(texts)))
    one = SentimentModel.load(threads=1)
    for seed in range(3):
        shuffled = random.Random(seed).sample(texts, len(texts))
        for scorer in (model, one):
            scorer.clear_cache()
            assert scorer.score(shuffled) == [reference[t] for t in shuffled]
            assert scorer.run_encoded(scorer.encode(shuffled)) == [reference[t] for t in shuffled]
