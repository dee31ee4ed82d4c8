"""Durable state of the bot: the ``Store`` protocol (``base``) and its SQLite backend."""
