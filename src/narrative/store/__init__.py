"""The SQLite store: schema, migrations, locking, and the reads/writes of each table."""

from .db import open_db, write_lock

__all__ = ["open_db", "write_lock"]
