"""The smallest valid narrative file's content, for tests that write their own narrative YAML."""

from __future__ import annotations


def minimal_narrative(**overrides) -> dict:
    """A narrative dict with every required key; ``overrides`` replace top-level keys (id, name, ...)."""
    return {
        "id": "my-theme",
        "name": "My theme",
        "description": "What the narrative is about, in a sentence or two.",
        "poles": {"positive": "It is going well.", "negative": "It is going badly."},
        "scope": {"entity_types": ["company"], "entities": ["alibaba"]},
        "themes": [{"id": "t1", "label": "Theme one", "patterns": {"en": ["widget|widgets"], "zh": ["小部件"]}}],
        "examples": {
            "positive": ["Widgets sell well.", "Widget demand soars.", "小部件热卖。"],
            "negative": ["Widgets sell badly.", "Widget demand slumps.", "小部件滞销。"],
            "irrelevant": ["The weather was mild.", "A film opened.", "天气晴朗。"],
        },
        **overrides,
    }
