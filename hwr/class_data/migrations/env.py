"""Alembic's entry point for hwr: migrations run on the connection hwr.class_data.storage passes."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
