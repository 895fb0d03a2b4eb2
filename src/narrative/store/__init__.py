"""The SQLite store: schema, migrations, locking, and the reads/writes of each table."""

from .db import open_db, reader, write_lock, writer

__all__ = ["open_db", "reader", "write_lock", "writer"]
