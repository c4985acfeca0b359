"""Alembic environment: run migrations on the connection Tercel hands over (or a URL).

`tercel.store.sql.migrate.upgrade(engine)` passes its connection in
``config.attributes["connection"]``; the ``alembic`` command line (``alembic -c alembic.ini
upgrade head``) uses ``TERCEL_DATABASE_URL`` or ``sqlalchemy.url`` instead.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from tercel.store.sql.dialect import normalise_url
from tercel.store.sql.schema import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, or one opened from the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("TERCEL_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set TERCEL_DATABASE_URL (or sqlalchemy.url) to migrate")
    engine = sa.create_engine(normalise_url(url))
    with engine.connect() as opened:
        _run(opened)
        opened.commit()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
