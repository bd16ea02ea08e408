"""Content-addressed caches shared by all generator runs of a user: black's output, the
printed model modules (`modelgen.cache`) and the compiled templates.

An entry maps a key (a sha256 of everything its value depends on) to the value, so a hit
is always safe. A cache is one SQLite database, `entries.sqlite3` in the cache's folder,
not a file per entry: a new file costs the filesystem an inode, and a cold run of
OpenAI's spec stored ~600 entries in ~300 fan-out folders. On this machine's ext4 that
was 0.7-1.0 s of system time a run (each new inode is searched for past the recently
deleted ones, `perf` showed 13% of the run in `__ext4_new_inode`); a database is a file
or two whatever the number of entries.

Best effort: any problem (no disk space, a locked or damaged database, no sqlite3) is a
miss, never an error. Each value carries a digest of its body: a damaged entry reads as
a miss and is written again, it never reaches generated code. A database SQLite cannot
read is replaced by an empty one. No fsync: a cache needs no durability, and SQLite's
journal keeps the file whole if a process dies mid-write.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

# Bump when the entry layout or the meaning of the key changes.
CACHE_FORMAT = "oapigen-black-cache-1"
DATABASE_NAME = "entries.sqlite3"
# How long a write waits for another process's write to the same cache (they last
# milliseconds); after that the entry is not stored.
_BUSY_SECONDS = 5.0
# Open databases per process, most recently used last; a test run makes thousands of
# caches and must not run out of file descriptors.
_MAX_OPEN = 8
# Keys in one `get_many` query (SQLite allows 32,766 parameters since 3.32, 999 before).
_KEYS_PER_QUERY = 500
_open: OrderedDict[tuple[int, Path], sqlite3.Connection | None] = OrderedDict()
# Connections a forked process inherited: SQLite forbids using them there, and closing
# them would release the parent's locks; they are kept, unused, until the process ends.
_inherited: list[sqlite3.Connection] = []


def default_cache_dir() -> Path:
    """`$OAPIGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/oapigen/black`, else
    `~/.cache/oapigen/black`."""
    override = os.environ.get("OAPIGEN_CACHE_DIR", "")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says relative values are invalid and must be ignored.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "oapigen" / "black"


def template_cache_dir() -> Path:
    """Where compiled Jinja templates are kept: beside the black cache (`templates/` in
    `$OAPIGEN_CACHE_DIR`, else `.../oapigen/templates`)."""
    override = os.environ.get("OAPIGEN_CACHE_DIR", "")
    root = Path(override) if override else default_cache_dir().parent
    return root / "templates"


def template_bytecode_cache(fingerprint: str) -> Any:
    """A `jinja2.BytecodeCache` kept in `template_cache_dir()`. Jinja checks each entry
    against the template's source and the Python version; `fingerprint` (the
    environment's settings) and Jinja's version are part of the key. Compiling
    oapigen's templates costs ~0.3 s a run."""
    import jinja2

    store = FormatCache(template_cache_dir())
    salt = f"{jinja2.__version__}\0{fingerprint}\0"

    class TemplateCodeCache(jinja2.BytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            code = store.get_bytes(_digest(salt + bucket.key))
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            store.put_bytes(_digest(salt + bucket.key), bucket.bytecode_to_string())

    return TemplateCodeCache()


def cache_key(black_version: str, mode_fingerprint: str, source: str) -> str:
    digest = hashlib.sha256()
    for part in (CACHE_FORMAT, black_version, mode_fingerprint):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    # surrogatepass: hashing must not fail on text black itself would reject.
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class FormatCache:
    """The cache kept in `root` (a folder, made on first use). Instances are cheap: the
    database connection is the process's, shared by every instance for the same folder.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def database(self) -> Path:
        return self.root / DATABASE_NAME

    def get(self, key: str) -> str | None:
        body = self.get_bytes(key)
        if body is None:
            return None
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """{key: text} of the `keys` found: one query per ~500 keys (OpenAI's 462
        model modules: 11.6 ms one by one, 4.5 ms this way)."""
        wanted = list(dict.fromkeys(keys))
        db = self._connection() if wanted else None
        if db is None:
            return {}
        import sqlite3  # there is a connection: it imports

        found: dict[str, str] = {}
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT key, value FROM entries WHERE key IN ({marks})"
            try:
                rows = db.execute(query, chunk).fetchall()
            except sqlite3.Error as exc:
                self._failed(exc)
                return found
            for key, value in rows:
                body = _checked(value)
                if body is None:
                    continue
                try:
                    found[key] = body.decode("utf-8")
                except UnicodeDecodeError:
                    continue
        return found

    def put(self, key: str, text: str) -> None:
        self.put_many([(key, text)])

    def put_many(self, entries: Iterable[tuple[str, str]]) -> None:
        """Store all `entries` in one transaction."""
        encoded: list[tuple[str, bytes]] = []
        for key, text in entries:
            try:
                encoded.append((key, text.encode("utf-8")))
            except UnicodeEncodeError:
                continue
        self._store(encoded)

    def get_bytes(self, key: str) -> bytes | None:
        db = self._connection()
        if db is None:
            return None
        import sqlite3  # there is a connection: it imports

        try:
            row = db.execute(
                "SELECT value FROM entries WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return None if row is None else _checked(row[0])

    def put_bytes(self, key: str, body: bytes) -> None:
        self._store([(key, body)])

    def _store(self, entries: list[tuple[str, bytes]]) -> None:
        db = self._connection() if entries else None
        if db is None:
            return
        import sqlite3  # there is a connection: it imports

        rows = [
            (
                key,
                f"{CACHE_FORMAT} {hashlib.sha256(body).hexdigest()}\n".encode() + body,
            )
            for key, body in entries
        ]
        try:
            with db:  # one transaction: committed, or rolled back on an error
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", rows)
        except sqlite3.Error as exc:
            self._failed(exc)

    def _failed(self, exc: sqlite3.Error) -> None:
        """Locked for too long, a full or read-only disk: this entry goes uncached. A
        database damaged since it was opened is replaced by an empty one."""
        if not _damaged(exc):
            return
        connection = _open.pop((os.getpid(), self.database), None)
        if connection is not None:
            connection.close()
        _remove(self.database)

    def _connection(self) -> sqlite3.Connection | None:
        pid = os.getpid()
        slot = (pid, self.database)
        if slot in _open:
            _open.move_to_end(slot)
            return _open[slot]
        for stale in [s for s in _open if s[0] != pid]:
            inherited = _open.pop(stale)
            if inherited is not None:
                _inherited.append(inherited)
        connection = _connect(self.database)
        _open[slot] = connection
        while len(_open) > _MAX_OPEN:
            _, oldest = _open.popitem(last=False)
            if oldest is not None:
                oldest.close()
        return connection


def _checked(value: object) -> bytes | None:
    """The body of a stored value, if its digest says it is whole."""
    if not isinstance(value, bytes):
        return None
    header, newline, body = value.partition(b"\n")
    expected = f"{CACHE_FORMAT} {hashlib.sha256(body).hexdigest()}".encode()
    return body if newline and header == expected else None


def _connect(database: Path) -> sqlite3.Connection | None:
    """An open cache database (made if missing; replaced if SQLite cannot read it), or
    None when there can be none."""
    try:
        import sqlite3
    except ImportError:  # a Python built without it: no cache
        return None
    for attempt in range(2):
        connection = None
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                database, timeout=_BUSY_SECONDS, check_same_thread=False
            )
            # the journal file is kept between transactions, not made anew each time
            connection.execute("PRAGMA journal_mode = TRUNCATE")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS entries "
                "(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
            )
            return connection
        except sqlite3.Error as exc:  # locked, read-only; or damaged: made anew once
            if attempt == 0 and _damaged(exc):
                if connection is not None:
                    connection.close()
                _remove(database)
                continue
        except OSError:  # no folder can be made there
            pass
        if connection is not None:
            connection.close()
        return None
    return None


def _damaged(exc: Exception) -> bool:
    """SQLite says the file is not a database, or a damaged one (SQLITE_NOTADB and
    SQLITE_CORRUPT are the errors it raises as a plain DatabaseError)."""
    import sqlite3

    return type(exc) is sqlite3.DatabaseError


def _remove(database: Path) -> None:
    for path in (database, database.with_name(database.name + "-journal")):
        try:
            path.unlink()
        except OSError:
            pass
