"""Main-text extraction from an article page, with trafilatura."""

from __future__ import annotations

import logging

LOGGER = logging.getLogger(__name__)

MIN_TEXT_CHARS = 200


def extract_main_text(page: bytes, *, url: str | None = None) -> tuple[str | None, str | None]:
    """Return ``(text, None)`` or ``(None, why)`` when no article text could be found."""
    import trafilatura  # imported lazily: it is slow to import and only full_text feeds need it

    try:
        text = trafilatura.extract(
            page, url=url, include_comments=False, include_tables=False, favor_precision=True, deduplicate=True
        )
    except (ValueError, TypeError, UnicodeError) as exc:  # trafilatura's own parse failures
        return None, f"extraction failed: {type(exc).__name__}: {exc}"
    if not text or len(text) < MIN_TEXT_CHARS:
        return None, f"no main text found ({len(text or '')} characters)"
    return text.strip(), None
