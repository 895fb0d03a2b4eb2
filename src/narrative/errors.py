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
    E020 = (
        "{path}: unsupported archive format {suffix!r}. Use a {available} file (an importer plugin can add "
        "more: narrative plugins --all)."
    )
    E021 = (
        "{path}: line {line}: missing required column(s) {missing}; found {found}. "
        "The archive needs 'url' and 'title' plus 'text' or 'summary'."
    )
    E022 = "{path}: cannot decode the file as {encoding}. Re-save it as UTF-8 or pass --encoding."
    E030 = "{value!r} is not a valid date. Use YYYY-MM-DD or a full ISO-8601 timestamp."
    E031 = "{flag} {value!r} is not a valid date. Use YYYY-MM-DD."
    E032 = "--from {start} is after --to {end}; swap them."
    # Issue 11: files that are not what they claim, and stores narrative cannot use as they are.
    E006 = "{path}: not UTF-8 text ({problem}). Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
    E007 = "{path}: cannot read the file ({problem}). Check the path and its permissions."
    E008 = (
        "{path}: the database file is damaged ({problem}). Restore it from a backup, or salvage it with "
        "`sqlite3 {path} .recover | sqlite3 recovered.db` and pass --db recovered.db."
    )
    E009 = (
        "the database (--db or NARRATIVE_DB) is damaged ({problem}). Restore it from a backup, or salvage it "
        "with `sqlite3 DB .recover | sqlite3 recovered.db` and pass --db recovered.db."
    )
    E012 = (
        "{path}: not a narrative database ({problem}). Pass the database narrative created with --db "
        "(or NARRATIVE_DB), or a new file name to create one."
    )
    E013 = (
        "{path}: no such database. Run `narrative ingest` or `narrative import` first, or pass --db PATH "
        "(or set NARRATIVE_DB)."
    )
    E014 = (
        "{path}: the database is empty (nothing stored yet, schema not initialised). Run `narrative ingest` or "
        "`narrative import --db {path}` first."
    )
    E015 = (
        "{path}: written by a newer narrative (schema {unknown}; this version knows up to {newest}). "
        "Upgrade narrative (pip install -U narrative), or pass a database this version created."
    )
    E016 = (
        "{path}: written by an older narrative (schema {applied}; this version needs {newest}). "
        "Run a write command once to upgrade it, e.g. `narrative enrich --db {path}`."
    )
    E017 = (
        "{path}: {problem}; the schema was changed outside narrative. Restore the database from a backup, "
        "or create a new one with `narrative ingest --db NEW.db`."
    )
    E018 = (
        "{path}: cannot write next to the database ({problem}); narrative writes {path}.lock, -wal and -shm "
        "files in {folder}. Read commands still work; to write, make the folder writable or copy the "
        "database to a writable folder."
    )
    E019 = (
        "{path}: the database file is read-only. Read commands still work; to write, make it writable "
        "(chmod u+w) or copy it."
    )
    E040 = (
        "{source}: setting {name} {problem}; allowed: {allowed} ({help}). Set {env} (or the matching flag) "
        "to an allowed value."
    )
    E060 = "--map {field}={column}: {field!r} is not a field of an archive; allowed fields: {allowed}."
    E063 = "--out {path}: cannot write the report there ({problem}). Pass a folder you can write to."
    E064 = "{source}: not UTF-8 text ({problem}). Pass UTF-8 text (e.g. through `iconv -t utf-8`)."
    E062 = (
        "narrative serve could not listen on {host}:{port} (see the line above: address in use or unknown "
        "host). Pick another --port or --host."
    )


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
