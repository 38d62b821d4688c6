"""Where the support desk's data lives and how to reach it.

SQLite file `support.db` in the repository by default; PostgreSQL (or anything SQLAlchemy
speaks) when DATABASE_URL says so. The schema is created and changed only by the Alembic
migrations in `support/migrations/`: `python -m support.db upgrade`.
"""
import argparse
import os
import sys
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, exc, pool, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A database that is starting (PostgreSQL beside the app) is waited for this long, no longer.
CONNECT_TIMEOUT_S = float(os.environ.get("DATABASE_CONNECT_TIMEOUT_S") or 30)

# Three processes share one SQLite file: a writer waits this long for another's lock.
SQLITE_BUSY_TIMEOUT_S = 30


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{ROOT / 'support.db'}"
    if url.startswith("postgres://"):  # as many hosts hand it out; SQLAlchemy wants postgresql://
        url = "postgresql://" + url[len("postgres://"):]
    return url


class DatabaseUnavailable(RuntimeError):
    pass


def wait_for_database(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Returns once `url` accepts a connection; raises DatabaseUnavailable after timeout_s,
    with a message that names the database (password hidden) and the driver's reason."""
    engine = create_engine(url, poolclass=pool.NullPool)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except exc.OperationalError as error:
                if time.monotonic() >= deadline:
                    shown = make_url(url).render_as_string(hide_password=True)
                    reason = str(error.orig).strip().splitlines()[0]
                    raise DatabaseUnavailable(
                        f"database {shown} unreachable for {timeout_s:.0f} s: {reason}") from None
                time.sleep(1)
    finally:
        engine.dispose()


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Pooled connections for a file: SQLAlchemy 1.4 opens a new one per session for SQLite
        # files, which cost the event broker more than its writes (profiled under load).
        on_file = make_url(url).database not in (None, "", ":memory:")
        engine = create_engine(url, future=True,
                               poolclass=pool.QueuePool if on_file else None,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S,
                                             "check_same_thread": False})
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """For every SQLite connection here, the support desk's and the tracker store's."""
    # WAL lets the console read while the broker writes; in WAL mode synchronous=NORMAL
    # loses nothing committed when a process dies (only on power loss); foreign keys are off
    # by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=None)
def _session_factory(url: str) -> sessionmaker:
    # expire_on_commit=False: objects returned from a scope stay readable after it commits
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A session committed at the end of the block, rolled back if it raises."""
    session = _session_factory(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: Optional[str] = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url or database_url()  # read by migrations/env.py
    return config


def upgrade(url: Optional[str] = None, revision: str = "head") -> None:
    """Bring the schema of `url` (default DATABASE_URL) up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m support.db", description=__doc__)
    parser.add_argument("command", choices=["upgrade", "current"])
    parser.add_argument("--url", help="default: DATABASE_URL, else sqlite support.db")
    parser.add_argument("--wait", type=float, default=CONNECT_TIMEOUT_S,
                        help="seconds to wait for the database to accept connections")
    args = parser.parse_args(argv)
    try:
        wait_for_database(args.url or database_url(), args.wait)
    except DatabaseUnavailable as error:
        sys.exit(f"support desk: {error}")
    if args.command == "upgrade":
        upgrade(args.url)
    else:
        from alembic import command

        command.current(alembic_config(args.url))


if __name__ == "__main__":
    main()
