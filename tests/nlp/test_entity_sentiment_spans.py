"""Entity sentiment in one model run per sentence (issue 12 item 1): mention characters -> token spans, windows for
long sentences, and what the shipped model does with them. Fails, not skips, when models/entity_sentiment is missing."""

from __future__ import annotations

import pytest

from narrative.api.entity_sentiment import entity_sentiment_model, score_targets
from narrative.nlp.entity_sentiment import MAX_LENGTH, default_model_path, load_tokenizer, locate, span_windows


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(default_model_path(), pairs=False)


def read(tokenizer, sentence, spans, max_length=MAX_LENGTH):
    """Per mention: the tokens the model pools for it, as text, from whichever window reads it."""
    found = {}
    for ids, mentions in span_windows(tokenizer, sentence, spans, max_length):
        assert len(ids) <= max_length and ids[0] == tokenizer.token_to_id("[CLS]")
        assert ids[-1] == tokenizer.token_to_id("[SEP]")
        for m, first, end in mentions:
            assert m not in found, "each mention is read in exactly one window"
            found[m] = [tokenizer.id_to_token(i) for i in ids[first:end]]
    return [found[m] for m in range(len(spans))]


def span_of(sentence, word, occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = sentence.index(word, start + 1)
    return start, start + len(word)


def test_issue_12_spans_map_characters_to_word_pieces(tokenizer):
    sentence = "Infosys gains while Nestlé slips"
    assert read(tokenizer, sentence, [span_of(sentence, "Infosys"), span_of(sentence, "Nestlé")]) == [
        ["info", "##sy", "##s"],
        ["nest", "##le"],
    ]
    windows = span_windows(tokenizer, sentence, [span_of(sentence, "Nestlé")])
    assert len(windows) == 1 and len(windows[0][1]) == 1


def test_issue_12_mentions_at_both_ends_of_the_text(tokenizer):
    sentence = "Wipro slipped, and so did Infosys"
    assert read(tokenizer, sentence, [(0, 5), (len(sentence) - 7, len(sentence))]) == [
        ["wi", "##pro"],
        ["info", "##sy", "##s"],
    ]
    assert read(tokenizer, "Up: Acme.", [(4, 8)]) == [["ac", "##me"]]  # the full stop is not part of it


def test_issue_12_cjk_characters_each_get_a_token_and_shift_nothing(tokenizer):
    sentence = "腾讯控股 and Alibaba rose"
    tencent, alibaba = span_of(sentence, "腾讯控股"), span_of(sentence, "Alibaba")
    tokens = read(tokenizer, sentence, [tencent, alibaba, (1, 2)])
    assert len(tokens[0]) == 4  # one per character (unknown to this English vocabulary)
    assert tokens[1] == ["ali", "##ba", "##ba"]
    assert len(tokens[2]) == 1  # a mention inside the CJK run gets its own character's token


def test_issue_12_overlapping_mentions_are_read_separately(tokenizer):
    sentence = "Tata Motors beat Tata Steel"
    spans = [span_of(sentence, "Tata Motors"), span_of(sentence, "Tata"), span_of(sentence, "Motors")]
    assert read(tokenizer, sentence, spans) == [["tata", "motors"], ["tata"], ["motors"]]
    assert len(span_windows(tokenizer, sentence, spans)) == 1  # one run for all three


def test_issue_12_mentions_without_tokens_are_read_at_cls(tokenizer):
    sentence = "Acme  rose"
    (_, mentions), *_ = span_windows(tokenizer, sentence, [None, (4, 6)])
    assert [(first, end) for _, first, end in mentions] == [(0, 1), (0, 1)]  # [CLS]: the sentence's tone
    assert locate("Shares of ACME rose", "acme") == (10, 14)
    assert locate("Shares of ACME rose", "Globex") is None
    assert locate("abc", "abc", 1, 99) == (0, 3)  # offsets outside the sentence: the first occurrence instead


def test_issue_12_a_sentence_longer_than_max_length_is_read_in_windows(tokenizer):
    words = [f"word{i}" for i in range(120)]
    words[2], words[60], words[62], words[118] = "Acme", "Globex", "Initech", "Hooli"
    sentence = " ".join(words)
    names = ["Acme", "Globex", "Initech", "Hooli"]
    spans = [span_of(sentence, name) for name in names]
    assert [tokens for tokens in read(tokenizer, sentence, spans)] == [
        tokenizer.encode(name, add_special_tokens=False).tokens for name in names
    ]
    windows = span_windows(tokenizer, sentence, spans)
    assert len(tokenizer.encode(sentence).ids) > MAX_LENGTH
    assert len(windows) == 3  # Acme's, Globex's shared with Initech (two words apart), Hooli's
    assert all(len(ids) == MAX_LENGTH for ids, _ in windows)
    assert sorted(len(mentions) for _, mentions in windows) == [1, 1, 2]
    # a mention longer than a window keeps the part inside it
    long = "x " * 10 + "Acme " * 80
    (ids, [(_, first, end)]), *rest = span_windows(tokenizer, long, [(20, len(long) - 1)], max_length=16)
    assert not rest and 1 <= first < end <= len(ids) - 1


def test_issue_12_one_model_run_per_sentence_and_mentions_do_not_move_each_other():
    model = entity_sentiment_model()
    assert model.per_sentence, "models/entity_sentiment should be the one-pass-per-sentence format"
    first = "Infosys gains while Wipro slips after weak results"
    second = "Maruti sales plunge 20% but Tata Motors posts record growth"
    targets = [(first, name, *span_of(first, name)) for name in ("Infosys", "Wipro")]
    targets += [(second, name, *span_of(second, name)) for name in ("Maruti", "Tata Motors", "Tata")]
    before = model.runs
    together = model.score(targets)
    assert model.runs - before == 2
    alone = [model.score([target])[0] for target in targets]
    # the same up to float rounding in the head's products (their blocking depends on how many mentions share a run)
    for a, b in zip(together, alone):
        assert a.label == b.label
        assert max(abs(a.negative - b.negative), abs(a.neutral - b.neutral), abs(a.positive - b.positive)) < 1e-6
    assert [s.label for s in together[:4]] == ["positive", "negative", "negative", "positive"]


def test_issue_12_long_sentences_are_scored_for_every_mention():
    model = entity_sentiment_model()
    filler = " ".join(["the index was little changed in quiet trade"] * 12)
    sentence = f"Acme shares soared to a record. {filler} while Globex plunged after a profit warning."
    rows = score_targets(model, [(sentence, "Acme", 0, 4), (sentence, "Globex", *span_of(sentence, "Globex"))])
    assert len(rows) == 2 and all(abs(r["negative"] + r["neutral"] + r["positive"] - 1) < 1e-3 for r in rows)
