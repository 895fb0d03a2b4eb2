"""Summaries of a run whose parts add up (a worker pool, then the tail in the command's process).

>>> import dataclasses
>>> @dataclasses.dataclass
... class Run(AddsUp):
...     articles: int = 0
...     version: str = ""
>>> Run(2, "v1").add(Run(3, "v2"))
Run(articles=5, version='v1')
"""

from __future__ import annotations

import dataclasses
from typing import Self


class AddsUp:
    """For a dataclass of counts and seconds plus a ``version``: :meth:`add` sums the counts and keeps the version."""

    def add(self, other: Self) -> Self:
        """Add ``other``'s counts and seconds to this summary; the version stays this one's. Returns this summary."""
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            if field.name != "version":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self
