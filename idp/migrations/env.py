"""Alembic environment: the engine and metadata come from the Compte app."""

from alembic import context

from idp.core.extensions import db

config = context.config
app = config.attributes["app"]


def run_migrations() -> None:
    with app.app_context():
        connectable = db.engine
        with connectable.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()


run_migrations()
