"""Alembic environment: the URL comes from the Config (support.db.alembic_config) or DATABASE_URL."""
from alembic import context
from sqlalchemy import create_engine

from support.db import database_url
from support.models import Base

config = context.config
url = config.attributes.get("url") or database_url()


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # a plain engine (not support.db's cached one): migrations must not leave pooled
    # connections behind in the processes that only upgrade
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            # render_as_batch: SQLite can't ALTER most things; batch mode copies the table
            context.configure(connection=connection, target_metadata=Base.metadata,
                              render_as_batch=url.startswith("sqlite"))
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
