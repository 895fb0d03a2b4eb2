"""Entity-level sentiment (issue 10 item 4) with the shipped model: these fail, not skip, when
models/entity_sentiment is missing."""

from __future__ import annotations

import json

import pytest

from narrative.api.entity_sentiment import MODEL_METHOD, ZH_METHOD, entity_sentiment_model, score_targets
from narrative.errors import ConfigError
from narrative.nlp.entity_sentiment import EntitySentimentModel, default_model_path, mark_target, model_version


@pytest.fixture(scope="module")
def model() -> EntitySentimentModel:
    return entity_sentiment_model()


def test_issue_10_shipped_model_is_complete():
    folder = default_model_path()
    for name in ("config.json", "tokenizer.json", "model.int8.onnx", "MODEL_CARD.md", "train_meta.json"):
        assert (folder / name).is_file(), f"{folder / name} missing: run scripts/train_entity_sentiment.py"
    labels = json.loads((folder / "config.json").read_text())["id2label"]
    assert sorted(labels.values()) == ["negative", "neutral", "positive"]
    assert model_version().startswith("entity_sentiment@")


def test_issue_10_missing_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="train_entity_sentiment"):
        EntitySentimentModel.load(tmp_path)


def test_mark_target_wraps_the_span_or_the_first_occurrence():
    assert (
        mark_target("Tata Steel up, Tata Motors down", "Tata Motors", 15, 26) == "Tata Steel up, << Tata Motors >> down"
    )
    assert mark_target("Wipro slips; Wipro again", "wipro") == "<< Wipro >> slips; Wipro again"
    assert mark_target("no name here", "Infosys") == "no name here"
    assert mark_target("bad offsets", "bad", 5, 99) == "<< bad >> offsets"


@pytest.mark.parametrize(
    "sentence, first, second",
    [
        ("Infosys gains while Wipro slips after weak results", "positive", "negative"),
        ("Maruti sales plunge 20% but Tata Motors posts record growth", "negative", "positive"),
    ],
)
def test_issue_10_entities_in_one_sentence_can_disagree(model, sentence, first, second):
    names = [word for word in ("Infosys", "Wipro", "Maruti", "Tata Motors") if word in sentence]
    scores = model.score([(sentence, name, sentence.index(name), sentence.index(name) + len(name)) for name in names])
    assert [s.label for s in scores] == [first, second]
    for s in scores:
        assert abs(s.negative + s.neutral + s.positive - 1) < 1e-6


def test_issue_10_chinese_sentences_get_the_lexicon_and_say_so(model):
    rows = score_targets(
        model, [("腾讯股价大涨，业绩超预期。", "腾讯", 0, 2), ("Profit at Acme doubled.", "Acme", 10, 14)]
    )
    assert rows[0]["method"] == ZH_METHOD and rows[0]["label"] == "positive" and rows[0]["polarity"] > 0
    assert rows[1]["method"] == MODEL_METHOD


def test_issue_10_identical_targets_are_scored_once(model):
    calls = []
    real = model.score

    def counting(targets, **kwargs):
        calls.append(len(targets))
        return real(targets, **kwargs)

    model.score = counting
    try:
        rows = score_targets(model, [("Acme beat estimates.", "Acme", 0, 4)] * 3)
    finally:
        del model.score
    assert calls == [1] and rows[0] == rows[1] == rows[2]


def test_issue_10_a_score_does_not_depend_on_its_batchmates(model):
    target = ("Acme's quarterly profit rose while Globex cut its outlook", "Globex", 35, 41)
    others = [("Shares of Initech slumped after a long, detailed and very gloomy profit warning", "Initech", 10, 17)]
    assert model.score([target]) == model.score([target, *others])[:1]


def test_issue_12_entity_model_runs_without_skip_layer_norm_fusion_and_its_version_says_so(model):
    """onnxruntime's SkipLayerNormalization was slower than the Add + LayerNormalization it replaces (+5% mentions
    per CPU-second without it, session 8): the loaded session leaves them apart, which moves probabilities slightly,
    so the version covers it as well as the files."""
    import hashlib

    import numpy as np
    import onnxruntime as ort

    onnx_file = default_model_path() / "model.int8.onnx"
    files = hashlib.sha256((default_model_path() / "config.json").read_bytes() + onnx_file.read_bytes())
    assert model_version() != f"entity_sentiment@{files.hexdigest()[:8]}"

    def session(disabled):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        return ort.InferenceSession(str(onnx_file), options, disabled_optimizers=disabled)

    apart, fused = session(["SkipLayerNormFusion"]), session([])
    sentences = ["Infosys gains while Wipro slips.", "Acme cut its outlook.", "Globex shares were flat on Monday."]
    same_as_apart = same_as_fused = 0
    for sentence in sentences:
        ids = model.tokenizer.encode(sentence).ids
        feed = {
            "input_ids": np.asarray([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            "token_type_ids": np.zeros((1, len(ids)), dtype=np.int64),
            "span_mask": np.ones((1, 1, len(ids)), dtype=np.float32),
        }
        loaded = model.session.run(None, feed)[0]
        same_as_apart += bool(np.array_equal(loaded, apart.run(None, feed)[0]))
        same_as_fused += bool(np.array_equal(loaded, fused.run(None, feed)[0]))
    assert same_as_apart == len(sentences)
    assert same_as_fused < len(sentences)  # the fused graph gives other bits (here for 2 of the 3)
