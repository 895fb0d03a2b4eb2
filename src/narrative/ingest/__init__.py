"""Getting articles in: fetching feeds, parsing them, reading archives.

Nothing here touches the database; :mod:`narrative.api` wires ingest to the store.
"""
