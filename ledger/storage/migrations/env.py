"""Alembic's entry point: migrations run on the connection the ledger hands over."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from ledger.storage import tables  # noqa: F401  (registers the tables on the metadata)

config = context.config
target_metadata = SQLModel.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    # Plain `alembic` commands from a shell: the URL comes from alembic.ini or the option.
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as fresh:
        run(fresh)
