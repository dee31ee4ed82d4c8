"""The ``relaybot`` command line (also ``python -m bot``).

The parser lives here; what each subcommand does is in :mod:`bot.cli.commands`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from bot import __version__
from bot.cli import commands
from bot.cli.commands import EXIT_FAILURE, EXIT_OK, EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relaybot",
        description="Discord and Telegram bot for an AI relay API.",
    )
    parser.add_argument("--version", action="version", version=f"relaybot {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot on the platforms configured in config.toml")
    _add_config_option(run)
    run.add_argument(
        "--sync-commands",
        action="store_true",
        help="register Discord slash commands once after starting (see sync-commands)",
    )
    run.add_argument(
        "--only",
        metavar="ROLES",
        type=_names,
        default=None,
        help="take only these roles (comma-separated), for several processes on one "
        "PostgreSQL store: telegram (receive Telegram updates), discord (the Discord "
        "gateway), jobs (poll and deliver jobs; the other platforms only send). "
        "Default: every role",
    )
    run.add_argument(
        "--shard-ids",
        metavar="IDS",
        type=_shard_ids,
        default=None,
        help="the Discord shards this process runs, e.g. 0,1 (replaces [discord] shard_ids; "
        "needs [discord] shard_count)",
    )
    run.set_defaults(handler=commands.cmd_run)

    sync = sub.add_parser(
        "sync-commands",
        help="register the Discord slash commands (to discord.guild_ids, else globally)",
    )
    _add_config_option(sync)
    sync.add_argument(
        "--global",
        dest="global_",
        action="store_true",
        help="register globally even when guild_ids are configured",
    )
    sync.set_defaults(handler=commands.cmd_sync_commands)

    console = sub.add_parser("console", help="talk to the bot in this terminal (stdin/stdout)")
    _add_config_option(console)
    _add_console_options(console)
    console.add_argument(
        "--demo", action="store_true", help="use an in-process simulated relay; needs no config"
    )
    console.set_defaults(handler=commands.cmd_console)

    demo = sub.add_parser("demo", help="same as `console --demo`, with a welcome text")
    _add_console_options(demo)
    demo.set_defaults(handler=commands.cmd_demo)

    sim = sub.add_parser("sim-relay", help="serve the SIMULATED relay API for tests and demos")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8099, help="port to listen on (default 8099)")
    sim.add_argument(
        "--api-key",
        default=None,
        help="key the simulator requires (default: accept any key)",
    )
    sim.add_argument(
        "--steps", type=int, default=3, help="polls a simulated job takes to finish (default 3)"
    )
    sim.add_argument(
        "--step-seconds",
        type=float,
        default=0.0,
        help="advance jobs by time instead of by polls (seconds per step)",
    )
    sim.set_defaults(handler=commands.cmd_sim_relay)

    migrate = sub.add_parser(
        "migrate-store",
        help="copy a SQLite store (every conversation, job, setting...) into an empty PostgreSQL",
    )
    migrate.add_argument(
        "--from", dest="source", required=True, metavar="SQLITE_FILE", help="the SQLite file"
    )
    migrate.add_argument(
        "--to",
        dest="target",
        default=None,
        metavar="POSTGRESQL_URL",
        help="the target database (default: [storage] url / url_env of the config)",
    )
    _add_config_option(migrate)
    migrate.set_defaults(handler=commands.cmd_migrate_store)

    backup = sub.add_parser(
        "backup",
        help="copy the SQLite store to a new file while the bot may keep running",
    )
    _add_config_option(backup)
    backup.add_argument("path", metavar="PATH", help="the new backup file (never overwritten)")
    backup.set_defaults(handler=commands.cmd_backup)

    check = sub.add_parser(
        "check",
        help="validate the configuration, then reach every configured service",
        description="Validate the configuration, then reach the relay, Telegram, Discord "
        "and the store: one line each, with a fix for each failure. Exit 0 only when all pass.",
    )
    _add_config_option(check)
    check.add_argument(
        "--offline", action="store_true", help="only validate the file; contact nothing"
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long each service may take to answer (default 10)",
    )
    check.set_defaults(handler=commands.cmd_check)
    return parser


def _names(value: str) -> tuple[str, ...]:
    names = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("name at least one role")
    return names


def _shard_ids(value: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: shard numbers, e.g. 0,1") from None
    if not ids or min(ids) < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: shard numbers from 0, e.g. 0,1")
    return ids


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="config file (default: $RELAYBOT_CONFIG or ./config.toml)",
    )


def _add_console_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object per event")
    parser.add_argument(
        "--media-dir",
        default="relaybot-media",
        metavar="DIR",
        help="where received images, audio and video are saved (default ./relaybot-media)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="at end of input, wait this long for running jobs (default 600)",
    )

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "main"]
