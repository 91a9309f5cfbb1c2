"""Optuna storages for lrlab tune: URLs, errors, and a lock shared by workers."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
from collections.abc import Callable

__all__ = [
    "StorageError",
    "StorageLock",
    "hide_password",
    "storage_problem",
    "storage_url",
]


class StorageError(ValueError):
    """A storage URL that Optuna cannot open."""


def storage_url(text: str) -> str:
    """An Optuna storage URL: a URL as it is, a file path as SQLite.

    SQLAlchemy reads ``postgresql://`` as "through psycopg 3"; when only
    psycopg2 is installed (lrlab's ``postgres`` extra), such a URL is
    given the driver that is there, ``postgresql+psycopg2://``.

    >>> storage_url("lrlab-tune.db")
    'sqlite:///lrlab-tune.db'
    >>> storage_url("sqlite:////tmp/tune.db")
    'sqlite:////tmp/tune.db'
    """
    if "://" not in text:
        return f"sqlite:///{text}"
    scheme, rest = text.split("://", 1)
    if scheme == "postgresql" and not _installed("psycopg") and _installed("psycopg2"):
        return f"postgresql+psycopg2://{rest}"
    return text


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class StorageLock:
    """A lock shared by every worker of a storage, where the backend has one.

    Two steps of a search are not atomic across processes in Optuna: making
    the tables of a new database, and "count the trials, then start one".
    This lock makes them so for PostgreSQL (an advisory lock, taken through
    one connection that is kept open until :meth:`close`) and for a SQLite
    file (``flock`` on the file; same machine only). Other backends get no lock: there,
    workers that start trials at the same moment may add up to one trial
    each beyond the study's size.
    """

    def __init__(self, url: str) -> None:
        self._acquire: Callable[[], None] = _nothing
        self._release: Callable[[], None] = _nothing
        self._close: Callable[[], None] = _nothing
        backend = url.split(":", 1)[0].split("+", 1)[0]
        try:
            if backend == "postgresql":
                self._postgres(url)
            elif backend == "sqlite":
                self._sqlite(url)
        except Exception as error:
            raise StorageError(storage_problem(url, error)) from None

    def _postgres(self, url: str) -> None:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        engine = sqlalchemy.create_engine(url, poolclass=NullPool)
        connection = engine.connect()
        key = {"key": _LOCK_KEY}

        def run(statement: str) -> None:
            connection.execute(sqlalchemy.text(statement), key)
            connection.commit()

        self._acquire = lambda: run("SELECT pg_advisory_lock(:key)")
        self._release = lambda: run("SELECT pg_advisory_unlock(:key)")

        def close() -> None:
            connection.close()
            engine.dispose()

        self._close = close

    def _sqlite(self, url: str) -> None:
        try:
            import fcntl
        except ImportError:  # not on Windows
            return
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if not database or database == ":memory:":
            return
        # The file stays open until close(): closing any descriptor of a
        # file drops the POSIX locks that SQLite holds on it in this
        # process, so it is closed only when the search is over.
        file = open(database, "ab")  # noqa: SIM115
        self._acquire = lambda: fcntl.flock(file, fcntl.LOCK_EX)
        self._release = lambda: fcntl.flock(file, fcntl.LOCK_UN)
        self._close = file.close

    def __enter__(self) -> None:
        self._acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._release()

    def close(self) -> None:
        self._close()
        self._close = _nothing


# A fixed 63-bit key for PostgreSQL's advisory lock, from a fixed phrase.
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"lrlab tune").digest()[:8], "big") >> 1


def _nothing() -> None:
    pass


def storage_problem(url: str, error: Exception) -> str:
    """One line: the URL (password hidden) and the first line of the cause."""
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    reason = lines[0] if lines else type(cause).__name__
    return f"cannot open storage {hide_password(url)!r}: {reason}"


def hide_password(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``.

    >>> hide_password("postgresql://tune:secret@db.example/lrlab")
    'postgresql://tune:***@db.example/lrlab'
    """
    with contextlib.suppress(Exception):
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    return url
