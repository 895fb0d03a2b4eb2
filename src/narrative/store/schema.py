"""The versioned schema. Each migration is named ``mNNN_...`` and recorded once applied.

Add a migration for every change; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("narrative")


@migrations()
def m001_ingest_tables(db: Database) -> None:
    db.execute("""
        CREATE TABLE feeds (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            language TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            full_text INTEGER NOT NULL DEFAULT 0,
            title TEXT,
            site_url TEXT,
            etag TEXT,
            last_modified TEXT,
            body_sha1 TEXT,
            last_status TEXT,
            last_error TEXT,
            last_fetched_at TEXT,
            last_ok_at TEXT,
            added_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            feed TEXT NOT NULL REFERENCES feeds(name),
            started_at TEXT NOT NULL,
            duration_s REAL NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            url TEXT NOT NULL,
            final_url TEXT,
            bytes INTEGER,
            attempts INTEGER NOT NULL DEFAULT 1,
            entries INTEGER NOT NULL DEFAULT 0,
            new_articles INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            bozo INTEGER NOT NULL DEFAULT 0,
            bozo_reason TEXT,
            fulltext_failures INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""")
    db.execute("CREATE INDEX idx_fetches_feed ON fetches(feed, started_at)")
    db.execute("""
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT,
            canonical_url TEXT,
            title TEXT NOT NULL,
            published TEXT NOT NULL,
            published_source TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            text_source TEXT NOT NULL DEFAULT 'summary',
            fulltext_error TEXT,
            language TEXT,
            author TEXT,
            title_hash TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            ingest_version TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_articles_canonical_url ON articles(canonical_url)")
    db.execute("CREATE INDEX idx_articles_title_hash ON articles(title_hash, published)")
    db.execute("CREATE INDEX idx_articles_content_hash ON articles(content_hash, published)")
    db.execute("CREATE INDEX idx_articles_published ON articles(published)")
    db.execute("""
        CREATE TABLE article_sources (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            source TEXT NOT NULL,
            source_kind TEXT NOT NULL,
            guid TEXT,
            url TEXT,
            title TEXT,
            published TEXT,
            matched_by TEXT NOT NULL,
            seen_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_article_sources_article ON article_sources(article_id)")
    db.execute("CREATE UNIQUE INDEX idx_article_sources_guid ON article_sources(source, guid) WHERE guid IS NOT NULL")
    db.execute("CREATE INDEX idx_article_sources_url ON article_sources(source, url)")
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@migrations()
def m002_extraction_tables(db: Database) -> None:
    db.execute("""
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            country TEXT,
            chinese INTEGER NOT NULL DEFAULT 0,
            parent TEXT,
            aliases TEXT NOT NULL DEFAULT '[]',
            zh TEXT NOT NULL DEFAULT '[]',
            tickers TEXT NOT NULL DEFAULT '[]',
            listings TEXT NOT NULL DEFAULT '[]',
            catalog_version TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE enrichments (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            extractor_version TEXT NOT NULL,
            language TEXT,
            sentences INTEGER NOT NULL,
            mentions INTEGER NOT NULL,
            figures INTEGER NOT NULL,
            phrase_hits INTEGER NOT NULL,
            enriched_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE sentences (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            idx INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            extractor_version TEXT NOT NULL,
            PRIMARY KEY (article_id, idx)
        )""")
    db.execute("""
        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            sentence_idx INTEGER NOT NULL,
            entity_id TEXT,
            name TEXT NOT NULL,
            label TEXT NOT NULL,
            surface TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            method TEXT NOT NULL,
            extractor_version TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_mentions_entity ON mentions(entity_id, article_id)")
    db.execute("CREATE INDEX idx_mentions_article ON mentions(article_id)")
    db.execute("CREATE INDEX idx_mentions_name ON mentions(name COLLATE NOCASE)")
    db.execute("""
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            sentence_idx INTEGER NOT NULL,
            name TEXT NOT NULL,
            entity_id TEXT,
            role TEXT,
            org TEXT,
            org_entity_id TEXT,
            quote TEXT,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            extractor_version TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_people_article ON people(article_id)")
    db.execute("""
        CREATE TABLE figures (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            sentence_idx INTEGER NOT NULL,
            subject_entity_id TEXT,
            subject TEXT,
            subject_method TEXT,
            value REAL NOT NULL,
            value_high REAL,
            unit TEXT NOT NULL,
            kind TEXT NOT NULL,
            direction TEXT,
            period TEXT,
            period_text TEXT,
            qualifier TEXT,
            negated INTEGER NOT NULL DEFAULT 0,
            noun TEXT,
            surface TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            extractor_version TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_figures_subject ON figures(subject_entity_id, article_id)")
    db.execute("CREATE INDEX idx_figures_article ON figures(article_id)")
    db.execute("""
        CREATE TABLE phrase_hits (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            sentence_idx INTEGER NOT NULL,
            narrative TEXT NOT NULL,
            theme TEXT NOT NULL,
            surface TEXT NOT NULL,
            pattern TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            extractor_version TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_phrase_hits_theme ON phrase_hits(narrative, theme)")
    db.execute("CREATE INDEX idx_phrase_hits_article ON phrase_hits(article_id)")


@migrations()
def m003_prices(db: Database) -> None:
    db.execute("""
        CREATE TABLE prices (
            ticker TEXT NOT NULL,
            date TEXT NOT NULL,
            open REAL,
            high REAL,
            low REAL,
            close REAL,
            adj_close REAL,
            volume REAL,
            currency TEXT,
            exchange TEXT,
            source TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            PRIMARY KEY (ticker, date)
        )""")


@migrations()
def m004_scores(db: Database) -> None:
    db.execute("""
        CREATE TABLE sentence_scores (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            sentence_idx INTEGER NOT NULL,
            narrative TEXT NOT NULL,
            relevance REAL NOT NULL,
            stance REAL NOT NULL,
            label TEXT NOT NULL,
            negative REAL NOT NULL,
            neutral REAL NOT NULL,
            positive REAL NOT NULL,
            themes TEXT NOT NULL DEFAULT '[]',
            entities TEXT NOT NULL DEFAULT '[]',
            model_version TEXT NOT NULL,
            PRIMARY KEY (article_id, sentence_idx, narrative)
        )""")
    db.execute("""
        CREATE TABLE entity_sentiment (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            sentence_idx INTEGER NOT NULL,
            entity_id TEXT NOT NULL,
            label TEXT NOT NULL,
            negative REAL NOT NULL,
            neutral REAL NOT NULL,
            positive REAL NOT NULL,
            model_version TEXT NOT NULL,
            PRIMARY KEY (article_id, sentence_idx, entity_id)
        )""")
    db.execute("CREATE INDEX idx_entity_sentiment_entity ON entity_sentiment(entity_id)")
    db.execute("""
        CREATE TABLE article_scores (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            narrative TEXT NOT NULL,
            relevance REAL NOT NULL,
            stance REAL NOT NULL,
            tone REAL NOT NULL,
            relevant_sentences INTEGER NOT NULL,
            evidence TEXT NOT NULL DEFAULT '[]',
            model_version TEXT NOT NULL,
            scored_at TEXT NOT NULL,
            PRIMARY KEY (article_id, narrative)
        )""")


@migrations()
def m005_point_in_time(db: Database) -> None:
    # Issue 8: how precise each article's time is, so that market/ never credits a date-only story to a session
    # that closed before it could have been written; and the source's time zone, where known.
    db.execute("ALTER TABLE articles ADD COLUMN published_precision TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN source_tz TEXT")
    db.execute("""
        UPDATE articles SET published_precision = CASE published_source
            WHEN 'date_only' THEN 'date_only'
            WHEN 'relative' THEN 'relative'
            WHEN 'fetched' THEN 'fetched'
            ELSE 'exact' END""")


@migrations()
def m006_stories(db: Database) -> None:
    # Issue 9: copies, rewrites and translations of one story form one story (its id is its first article's id);
    # each article's novelty says how much it adds to what its story had already said.
    db.execute("ALTER TABLE articles ADD COLUMN story_id INTEGER")
    db.execute("ALTER TABLE articles ADD COLUMN novelty REAL")
    db.execute("ALTER TABLE articles ADD COLUMN story_version TEXT")
    db.execute("CREATE INDEX idx_articles_story ON articles(story_id)")
    db.execute("""
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            first_seen TEXT NOT NULL,
            first_article_id INTEGER NOT NULL REFERENCES articles(id),
            articles INTEGER NOT NULL,
            languages TEXT NOT NULL DEFAULT '[]',
            assigner_version TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")


@migrations()
def m009_query_aggregates(db: Database) -> None:
    # Issue 12 item 3: the query commands read per-day aggregates instead of every article. Triggers mark the days a
    # write touches as dirty (cheap, inside the writer's transaction); store.aggregates / api.aggregates recompute
    # those days from the rows themselves, so a rescore or re-enrichment replaces a day's figures and never adds to
    # them. Readers recompute (or bypass) days still dirty, so results never depend on a refresh having run.
    db.execute("""
        CREATE TABLE aggregate_dirty (
            kind TEXT NOT NULL,
            narrative TEXT NOT NULL,
            day TEXT NOT NULL,
            PRIMARY KEY (kind, narrative, day)
        ) WITHOUT ROWID""")
    # One entity's counts, per day (entity_days) and over every day (entity_totals).
    counts = (
        "linked INTEGER NOT NULL, entity_key TEXT NOT NULL, entity_id TEXT, name TEXT NOT NULL, "
        "label TEXT NOT NULL, mentions INTEGER NOT NULL, articles INTEGER NOT NULL, first_seen TEXT NOT NULL, "
        "last_seen TEXT NOT NULL, aggregator_version TEXT NOT NULL"
    )
    db.execute(
        f"CREATE TABLE entity_days (day TEXT NOT NULL, {counts}, PRIMARY KEY (day, linked, entity_key)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX idx_entity_days_key ON entity_days(linked, entity_key, day)")
    db.execute(f"CREATE TABLE entity_totals ({counts}, PRIMARY KEY (linked, entity_key)) WITHOUT ROWID")
    db.execute("CREATE INDEX idx_entity_totals_rank ON entity_totals(mentions DESC, articles DESC)")
    db.execute("CREATE INDEX idx_entity_totals_linked_rank ON entity_totals(linked, mentions DESC, articles DESC)")
    db.execute("""
        CREATE TABLE narrative_days (
            narrative TEXT NOT NULL,
            precision TEXT NOT NULL,
            day TEXT NOT NULL,
            attention INTEGER NOT NULL,
            stories INTEGER NOT NULL,
            mentions INTEGER NOT NULL,
            stance REAL,
            stance_stories REAL,
            share_positive REAL,
            net REAL NOT NULL,
            n_exact INTEGER NOT NULL,
            n_date_only INTEGER NOT NULL,
            n_fetched INTEGER NOT NULL,
            n_relative INTEGER NOT NULL,
            first_published TEXT,
            aggregator_version TEXT NOT NULL,
            PRIMARY KEY (narrative, precision, day)
        ) WITHOUT ROWID""")
    # Covering indexes for the remaining query commands.
    db.execute("CREATE INDEX idx_figures_subject_name ON figures(subject COLLATE NOCASE, article_id)")
    db.execute("CREATE INDEX idx_article_scores_narrative ON article_scores(narrative, article_id)")
    entity_day = (
        "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT 'entities', '', "
        "substr(published, 1, 10) FROM articles WHERE id = {row}.article_id;"
    )
    # A stated date-only day may be the UTC date, the day before or the day after (the source's zone): mark all three.
    narrative_days = (
        "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT 'index', "
        "replace(s.narrative, '_', '-'), date(a.published, d.shift) FROM article_scores s "
        "JOIN articles a ON a.id = s.article_id, "
        "(SELECT '-1 day' AS shift UNION ALL SELECT '+0 days' UNION ALL SELECT '+1 day') d "
        "WHERE s.article_id = {row}.{key};"
    )
    old_days = narrative_days.replace("a.published", "{row}.published")
    db.execute(
        f"CREATE TRIGGER aggregates_mentions_insert AFTER INSERT ON mentions BEGIN {entity_day.format(row='NEW')} END"
    )
    db.execute(
        f"CREATE TRIGGER aggregates_mentions_delete AFTER DELETE ON mentions BEGIN {entity_day.format(row='OLD')} END"
    )
    db.execute(
        f"CREATE TRIGGER aggregates_mentions_update AFTER UPDATE ON mentions BEGIN "
        f"{entity_day.format(row='OLD')} {entity_day.format(row='NEW')} END"
    )
    db.execute(
        f"CREATE TRIGGER aggregates_published_update AFTER UPDATE OF published ON articles "
        f"WHEN OLD.published IS NOT NEW.published BEGIN "
        f"INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) VALUES "
        f"('entities', '', substr(OLD.published, 1, 10)), ('entities', '', substr(NEW.published, 1, 10)); "
        f"{old_days.format(row='OLD', key='id')} {narrative_days.format(row='NEW', key='id')} END"
    )
    db.execute(
        f"CREATE TRIGGER aggregates_article_update AFTER UPDATE OF published_precision, source_tz, story_id "
        f"ON articles BEGIN {narrative_days.format(row='NEW', key='id')} END"
    )
    for table in ("article_scores", "article_sources"):
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
            db.execute(
                f"CREATE TRIGGER aggregates_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
                f"{narrative_days.format(row=row, key='article_id')} END"
            )
    db.execute(
        f"CREATE TRIGGER aggregates_article_scores_update AFTER UPDATE ON article_scores BEGIN "
        f"{narrative_days.format(row='OLD', key='article_id')} "
        f"{narrative_days.format(row='NEW', key='article_id')} END"
    )
    # Backfill: every day of an existing store is dirty; `narrative enrich` (or the next ingest) recomputes them.
    db.execute(
        "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'entities', '', "
        "substr(a.published, 1, 10) FROM mentions m JOIN articles a ON a.id = m.article_id"
    )
    db.execute(
        "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'index', "
        "replace(s.narrative, '_', '-'), date(a.published, d.shift) FROM article_scores s "
        "JOIN articles a ON a.id = s.article_id, (SELECT '-1 day' AS shift UNION ALL SELECT '+0 days' "
        "UNION ALL SELECT '+1 day') d"
    )


@migrations()
def m010_store_counts(db: Database) -> None:
    """Running counts behind `narrative stats` (per source, per language, multi-source articles), kept by triggers."""
    from .stats import create_store_counts

    create_store_counts(db)


@migrations()
def m011_mention_sentiment(db: Database) -> None:
    """Issue 10 item 4: entity sentiment of every mention, with the scorer version (store.mention_sentiment)."""
    from .mention_sentiment import create_mention_sentiment

    create_mention_sentiment(db)


@migrations()
def m012_article_entities(db: Database) -> None:
    """Issue 10 item 5: each entity's relevance (0-100) to each article, with its version (store.entity_relevance),
    and relevance-weighted article counts in the entity aggregates."""
    from .entity_relevance import create_article_entities

    create_article_entities(db)


@migrations()
def m013_session_index_and_entity_months(db: Database) -> None:
    """Issue 12 item 3 / issue 14 item 4: the narrative index per exchange session, with each exchange's sessions
    as data (store.session_index), and each entity's counts per month (store.aggregates.create_entity_months)."""
    from .aggregates import create_entity_months
    from .session_index import create_session_index

    create_session_index(db)
    create_entity_months(db)


@migrations()
def m014_entity_sentiment_days(db: Database) -> None:
    """Issue 12 item 3: each entity's sentiment per day (store.sentiment_days), what `sentiment NAME --daily` reads."""
    from .sentiment_days import create_sentiment_days

    create_sentiment_days(db)
