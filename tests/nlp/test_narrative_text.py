"""The narrative scorer reads one written form: traditional Chinese script and full-width characters
score like their simplified, half-width twins (issue 9)."""

from __future__ import annotations

import numpy as np
import pytest

from narrative.api.score import scoring_context
from narrative.nlp.narrative_features import SentenceFacts
from narrative.nlp.narrative_text import scoring_text, scoring_texts

# (traditional / Hong Kong-Taiwan form, simplified twin)
TWINS = [
    ("美國商務部宣佈進一步收緊對華先進晶片出口", "美国商务部宣布进一步收紧对华先进芯片出口"),
    ("荷蘭政府放寬阿斯麥光刻機對華出口許可", "荷兰政府放宽阿斯麦光刻机对华出口许可"),
    ("雲端業者上調人工智慧資本開支", "云端业者上调人工智能资本开支"),
]


def test_scoring_text_simplifies_chinese_and_half_widths_latin():
    assert scoring_text("美國宣佈收緊出口") == "美国宣布收紧出口"
    assert scoring_text("輝達晶片") == "英伟达芯片"  # Taiwan phrasing, not only characters
    assert scoring_text("ＡＩ資本開支增長２０％") == "AI资本开支增长20%"
    assert scoring_text("Nvidia eases") == "Nvidia eases"  # English passes through
    assert scoring_texts(["已经是简体", "收緊"]) == ["已经是简体", "收紧"]


@pytest.mark.parametrize("narrative_id", ["chip-export-controls", "ai-capex"])
def test_issue_9_traditional_script_scores_like_its_simplified_twin(narrative_id):
    ctx = scoring_context(narrative_id)
    facts = [SentenceFacts(text=text, chinese=True) for pair in TWINS for text in pair]
    relevance, vectors = ctx.scorer.relevance(ctx.prepared, facts)
    stance = ctx.scorer.stance(ctx.prepared, facts, vectors)
    assert np.allclose(relevance[0::2], relevance[1::2], atol=1e-5)
    assert np.allclose(stance[0::2], stance[1::2], atol=1e-5)
    full_width = [SentenceFacts(text="ＡＩ資本開支", chinese=True), SentenceFacts(text="AI资本开支", chinese=True)]
    relevance, _ = ctx.scorer.relevance(ctx.prepared, full_width)
    assert relevance[0] == pytest.approx(relevance[1], abs=1e-5)
