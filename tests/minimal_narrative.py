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


# A narrative no shipped file is about (tariffs on imported widgets), with a few examples per pole in both languages:
# the tests that score a narrative the scorer was never trained on.
WIDGET_TARIFFS = {
    "id": "widget-tariffs",
    "name": "Widget tariffs",
    "description": "Whether tariffs on imported widgets are rising or falling.",
    "poles": {"positive": "widget tariffs fall", "negative": "widget tariffs rise"},
    "examples": {
        "positive": [
            "Widget tariffs cut by the ministry",
            "Officials lower duties on widgets",
            "The government cuts the widget levy",
            "Tariffs on widgets lowered again",
            "政府下调小部件关税",
            "小部件进口关税降低",
        ],
        "negative": [
            "Widget tariffs raised by the ministry",
            "Officials raise duties on widgets",
            "The government raises the widget levy",
            "Tariffs on widgets raised again",
            "政府上调小部件关税",
            "小部件进口关税提高",
        ],
        "neutral": ["Widget tariff talks continue on Tuesday", "小部件关税谈判周二继续"],
        "irrelevant": ["The weather was sunny", "A film premiered", "The match ended in a draw"],
    },
}
