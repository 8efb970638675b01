"""The process's one aiosqlite connection: WAL, foreign keys, busy timeout and migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """A store operation could not be done; the message says what and for which row."""


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("codeframe_tui.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """Wraps the connection. Writers go through `transaction()`, which serialises them.

    One connection shares one transaction, so two coroutines writing at once would commit
    each other's half-done work; the lock makes each write transaction whole.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def fetchall(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def user_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self.conn.close()


async def _migrate(db: Database) -> None:
    current = await db.user_version()
    pending = [m for m in _migrations() if m[0] > current]
    if not pending:
        return
    # A migration may rebuild a table (SQLite cannot alter a CHECK): with foreign keys on, dropping
    # the old table would cascade deletes into every table that refers to it. The pragma cannot
    # change inside a transaction, so it is set around them, and the keys are checked before commit.
    await db.conn.execute("PRAGMA foreign_keys=OFF")
    try:
        for number, name, sql in pending:
            log.info("applying migration %s", name)
            async with db.transaction() as conn:
                # sqlite3 opens no transaction before DDL by itself, and executescript would COMMIT
                # first: begin explicitly, so a migration that fails half-way leaves nothing behind.
                await conn.execute("BEGIN IMMEDIATE")
                # Another process may have applied it while this one waited for the write lock (two
                # processes opening a new project at once): the version read under the lock decides.
                async with conn.execute("PRAGMA user_version") as cur:
                    row = await cur.fetchone()
                if row is not None and int(row[0]) >= number:
                    continue
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                async with conn.execute("PRAGMA foreign_key_check") as cur:
                    broken = list(await cur.fetchall())
                if broken:
                    raise StoreError(f"migration {name} broke {len(broken)} foreign key(s): {list(broken[:3])}")
                await conn.execute(f"PRAGMA user_version = {int(number)}")
    finally:
        await db.conn.execute("PRAGMA foreign_keys=ON")


async def _use_wal(conn: aiosqlite.Connection, patience: float = 5.0) -> None:
    """Switch the database to WAL, waiting while another process does the same.

    Changing the journal mode of a new database needs it to itself, and SQLite answers "locked"
    at once there rather than through busy_timeout: so wait here, as busy_timeout would elsewhere.
    """
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                raise
        await asyncio.sleep(0.02)


def inserted_id(cur: aiosqlite.Cursor) -> int:
    """The row id an INSERT just made (sqlite always sets one after a successful INSERT)."""
    if cur.lastrowid is None:
        raise StoreError("the INSERT reported no row id")
    return cur.lastrowid


def _split_sql(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


async def _open_read_only(path: Path) -> Database:
    conn = await aiosqlite.connect(_read_only_uri(path), uri=True)
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute("PRAGMA query_only=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        db = Database(conn, path)
        latest = max(m[0] for m in _migrations())
        if await db.user_version() != latest:
            raise StoreError(f"{path} has schema {await db.user_version()}; this version reads {latest} "
                             "(the process running it is another version of codeframe-tui)")
    except BaseException:
        await conn.close()
        raise
    return db


def _read_only_uri(path: Path) -> str:
    if not path.is_file():
        raise StoreError(f"{path} does not exist")
    return path.resolve().as_uri() + "?mode=ro"  # as_uri escapes '?', '#' and '%' in the path


async def open_database(path: Path, *, read_only: bool = False) -> Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    `read_only`: for a second process while a run is live. SQLite itself refuses every write
    (mode=ro, query_only), the schema must already be current, and WAL lets it read while the
    run writes."""
    if read_only:
        try:
            return await _open_read_only(path)
        except sqlite3.Error as exc:  # e.g. no right to make the -shm file beside a live run's database
            raise StoreError(f"cannot read {path}: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), isolation_level="DEFERRED")
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute("PRAGMA busy_timeout=5000")  # first: the pragmas below may wait for a lock too
        await _use_wal(conn)
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db = Database(conn, path)
        await _migrate(db)
    except BaseException:
        await conn.close()
        raise
    return db
