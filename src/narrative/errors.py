"""Exceptions and the catalogue of user-facing messages.

Every message names the value, where it came from and how to fix it. The CLI
catches :class:`NarrativeError` once and prints ``Error: <message>`` to stderr
with the exception's ``exit_code``.
"""

from __future__ import annotations


class Errors:
    """Coded message templates, in the style of spaCy's ``errors.py``."""

    E001 = "{path}: file not found. Pass an existing file (e.g. --feeds feeds.yaml)."
    E002 = "{path}: line {line}: not valid YAML ({problem}). Fix the syntax at that line."
    E003 = "{path}: [{location}] {problem}. {hint}"
    E004 = "{path}: two feeds are named {name!r} (entries {first} and {second}). Feed names must be unique."
    E005 = "{path}: no feeds listed. Add at least one entry under 'feeds:'."
    E010 = (
        "{path}: another narrative process is writing to this database and did not finish "
        "within {timeout:g}s. Wait for it to end, or raise --lock-timeout."
    )
    E011 = "{path}: cannot open the database ({problem}). Check the path and its permissions."
    E020 = "{path}: unsupported archive format {suffix!r}. Use a .csv, .jsonl or .ndjson file."
    E021 = (
        "{path}: line {line}: missing required column(s) {missing}; found {found}. "
        "The archive needs 'url' and 'title' plus 'text' or 'summary'."
    )
    E022 = "{path}: cannot decode the file as {encoding}. Re-save it as UTF-8 or pass --encoding."
    E030 = "{value!r} is not a valid date. Use YYYY-MM-DD or a full ISO-8601 timestamp."


class NarrativeError(Exception):
    """Base class of every error that narrative reports to a user."""

    exit_code = 1


class ConfigError(NarrativeError):
    """A configuration file (feeds.yaml, settings) is missing or invalid."""

    exit_code = 2


class InputError(NarrativeError):
    """A user-supplied file or value cannot be used."""

    exit_code = 2


class StoreError(NarrativeError):
    """The SQLite store cannot be opened or written."""

    exit_code = 1


class LockError(StoreError):
    """Another process holds the database's write lock."""

    exit_code = 1


class ProviderError(NarrativeError):
    """A price provider could not deliver (package missing, offline, unknown ticker)."""

    exit_code = 1


class FeedError(NarrativeError):
    """A feed could not be fetched or parsed (recorded per feed, not raised to the user)."""
