"""Where the support desk's data lives and how to reach it.

SQLite file `support.db` in the repository by default; PostgreSQL (or anything SQLAlchemy
speaks) when DATABASE_URL says so. The schema is created and changed only by the Alembic
migrations in `support/migrations/`: `python -m support.db upgrade`.
"""
import argparse
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Three processes share one SQLite file: a writer waits this long for another's lock.
SQLITE_BUSY_TIMEOUT_S = 30


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{ROOT / 'support.db'}"
    if url.startswith("postgres://"):  # as many hosts hand it out; SQLAlchemy wants postgresql://
        url = "postgresql://" + url[len("postgres://"):]
    return url


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S,
                                             "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the console read while the broker writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
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
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        upgrade(args.url)
    else:
        from alembic import command

        command.current(alembic_config(args.url))


if __name__ == "__main__":
    main()
