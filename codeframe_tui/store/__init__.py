"""Durable state: one aiosqlite connection, numbered migrations, repositories of domain objects."""

from codeframe_tui.store.db import Database, StoreError, open_database
from codeframe_tui.store.repos import Store

__all__ = ["Database", "Store", "StoreError", "open_database"]
