"""Durable state of the bot.

``base`` holds the protocols (one per part, and ``Store`` for all of them), ``records`` the
records and errors, ``open_store`` picks the backend from ``[storage]``: ``sqlite`` (one file,
the default) or ``postgres`` (one database shared by several processes). See docs/STORAGE.md.
"""

from bot.store.factory import open_store

__all__ = ["open_store"]
