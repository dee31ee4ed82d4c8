"""The console adapter: try every command in a terminal (``relaybot console``)."""

from adapters.console.run import run_console

__all__ = ["run_console"]
