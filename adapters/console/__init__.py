"""The console adapter: try every command in a terminal (``relaybot console``).

:func:`build` is its entry point. :func:`bot.console.run_console` composes it with the
core; it lives in the app layer because it builds the runtime, which an adapter must
not import.
"""

from adapters.console.adapter import ConsoleAdapter, build

__all__ = ["ConsoleAdapter", "build"]
