"""The console adapter: try every command in a terminal (``relaybot console``).

:func:`bot.console.run_console` composes it with the core; it lives in the app layer
because it builds the runtime, which an adapter must not import.
"""
