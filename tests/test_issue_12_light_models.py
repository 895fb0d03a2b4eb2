"""Models load once per process and only what a run needs (issue 12 item 1): spaCy comes without torch (thinc
imports it whenever it is installed, 2-7 s and ~300 MB, for layers the shipped pipeline does not have), and the
CPU sentiment model runs without torch or transformers; torch still imports afterwards when something needs it."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from narrative.nlp.pipeline import Extractor
from narrative.nlp.sentiment import SentimentModel
extraction = Extractor.load().extract("Alibaba jumps", "Alibaba rose 5% on Tuesday.", "en")
label = SentimentModel.load(device="cpu").score(["Alibaba rose 5% on Tuesday."])[0].label
print(extraction.figures[0].subject_entity_id, label, "torch" in sys.modules, "transformers" in sys.modules)
import torch
print(float(torch.ones(3).sum()))
"""


def test_issue_12_extraction_and_cpu_sentiment_import_no_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["alibaba", "positive", "False", "False", "3.0"]
