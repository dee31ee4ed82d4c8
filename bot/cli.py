"""The ``relaybot`` command line (also ``python -m bot``).

Each subcommand is a small function returning an exit code: 0 success, 1 bad
configuration or runtime failure, 2 usage errors.
Configuration problems are printed one per line, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final, TextIO

from bot import __version__
from bot.config import AppConfig, ConfigError, load_config, resolve_config_path

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2


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
    run.set_defaults(handler=_cmd_run)

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
    sync.set_defaults(handler=_cmd_sync_commands)

    console = sub.add_parser("console", help="talk to the bot in this terminal (stdin/stdout)")
    _add_config_option(console)
    _add_console_options(console)
    console.add_argument(
        "--demo", action="store_true", help="use an in-process simulated relay; needs no config"
    )
    console.set_defaults(handler=_cmd_console)

    demo = sub.add_parser("demo", help="same as `console --demo`, with a welcome text")
    _add_console_options(demo)
    demo.set_defaults(handler=_cmd_demo)

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
    sim.set_defaults(handler=_cmd_sim_relay)

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
    migrate.set_defaults(handler=_cmd_migrate_store)

    backup = sub.add_parser(
        "backup",
        help="copy the SQLite store to a new file while the bot may keep running",
    )
    _add_config_option(backup)
    backup.add_argument("path", metavar="PATH", help="the new backup file (never overwritten)")
    backup.set_defaults(handler=_cmd_backup)

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
    check.set_defaults(handler=_cmd_check)
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


def _load(args: argparse.Namespace, err: TextIO) -> AppConfig | None:
    path = resolve_config_path(args.config, os.environ)
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"relaybot: configuration problems in {path}:", file=err)
        for problem in exc.problems:
            print(f"  {problem}", file=err)
        return None


def _cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import run_forever
    from bot.core.errors import StartupError
    from bot.log import setup_logging

    config = _load(args, sys.stderr)
    if config is None:
        return EXIT_FAILURE
    setup_logging(config.logging.level, secrets=config.secrets(), format=config.logging.format)
    try:
        asyncio.run(run_forever(config, sync_commands=args.sync_commands, only=args.only,
                                shard_ids=args.shard_ids))
    except StartupError as exc:
        print(f"relaybot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _cmd_sync_commands(args: argparse.Namespace) -> int:
    import asyncio

    from bot.commands import all_commands
    from bot.log import setup_logging

    config = _load(args, sys.stderr)
    if config is None:
        return EXIT_FAILURE
    if config.discord is None:
        print("relaybot: sync-commands needs a [discord] section with a token", file=sys.stderr)
        return EXIT_FAILURE
    from adapters.base import PlatformStartError
    from adapters.discord import discord_proxy, sync_commands

    setup_logging(config.logging.level, secrets=config.secrets(), format=config.logging.format)
    guild_ids = () if args.global_ else None
    try:
        count = asyncio.run(
            sync_commands(
                config.discord,
                all_commands(),
                guild_ids=guild_ids,
                locale=config.bot.locale,
                proxy=discord_proxy(config),
            )
        )
    except PlatformStartError as exc:
        print(f"relaybot: could not register the commands: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    where = (
        f"in guilds {', '.join(map(str, config.discord.guild_ids))}"
        if config.discord.guild_ids and not args.global_
        else "globally (Discord may take up to an hour to show them)"
    )
    print(f"registered {count} slash commands {where}")
    return EXIT_OK


def _cmd_console(args: argparse.Namespace) -> int:
    config = None
    if not args.demo:
        config = _load(args, sys.stderr)
        if config is None:
            return EXIT_FAILURE
    return _console(args, config, demo=args.demo, welcome=False)


def _cmd_demo(args: argparse.Namespace) -> int:
    return _console(args, None, demo=True, welcome=True)


def _console(
    args: argparse.Namespace, config: AppConfig | None, *, demo: bool, welcome: bool
) -> int:
    import asyncio
    from pathlib import Path

    from bot.console import run_console
    from bot.core.errors import StartupError
    from bot.log import setup_logging

    setup_logging(
        config.logging.level if config else "WARNING",
        secrets=config.secrets() if config else (),
        format=config.logging.format if config else "text",
    )
    try:
        return asyncio.run(
            run_console(
                config,
                demo=demo,
                jsonl=args.jsonl,
                media_dir=Path(args.media_dir),
                wait_s=max(0.0, args.wait),
                stdin=sys.stdin,
                stdout=sys.stdout,
                stderr=sys.stderr,
                welcome=welcome,
            )
        )
    except StartupError as exc:  # the store cannot be opened: one line, as for `run`
        print(f"relaybot: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def _cmd_sim_relay(args: argparse.Namespace) -> int:
    from bot.sim import run_forever

    if not 0 <= args.port <= 65535:
        print(f"relaybot: --port {args.port} is not a port number", file=sys.stderr)
        return EXIT_USAGE
    return run_forever(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        steps=max(1, args.steps),
        step_seconds=max(0.0, args.step_seconds),
    )


def _cmd_migrate_store(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path
    from urllib.parse import urlsplit

    from bot.config import url_without_secrets
    from bot.store.base import StoreError
    from bot.store.transfer import copy_sqlite_to_postgres

    url: str | None = args.target
    if url is None:
        config = _load(args, sys.stderr)
        if config is None:
            return EXIT_FAILURE
        if config.storage.url is None:
            print(
                "relaybot: migrate-store needs --to postgresql://... or a [storage] url",
                file=sys.stderr,
            )
            return EXIT_USAGE
        url = config.storage.url.reveal()
    if urlsplit(url).scheme not in ("postgresql", "postgres"):
        print("relaybot: --to must be a postgresql://user@host/database URL", file=sys.stderr)
        return EXIT_USAGE

    def report(table: str, rows: int) -> None:
        print(f"  {table}: {rows} rows")

    print(f"copying {args.source} into {url_without_secrets(url)}")
    try:
        counts = asyncio.run(copy_sqlite_to_postgres(Path(args.source), url, progress=report))
    except StoreError as exc:
        print(f"relaybot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"done: {sum(counts.values())} rows copied; point [storage] url at the new database")
    return EXIT_OK


def _cmd_backup(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from bot.backup import BackupError, backup_sqlite

    config = _load(args, sys.stderr)
    if config is None:
        return EXIT_FAILURE
    if config.storage.url is not None:
        print("relaybot: backup copies a SQLite store; back up PostgreSQL with pg_dump",
              file=sys.stderr)
        return EXIT_USAGE
    destination = Path(args.path)
    try:
        pages = asyncio.run(backup_sqlite(config.storage.path, destination))
    except BackupError as exc:
        print(f"relaybot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"backed up {config.storage.path} to {destination} ({pages} pages)")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    config = _load(args, sys.stderr)
    if config is None:
        return EXIT_FAILURE
    if args.offline:
        import asyncio

        from bot.check.store import sqlite_problem

        problem = asyncio.run(sqlite_problem(config))  # file-only: no server to reach
        if problem is not None:
            print(f"relaybot: {problem}", file=sys.stderr)
            return EXIT_FAILURE
        _print_summary(config, sys.stdout)
        return EXIT_OK
    import asyncio

    from bot.check import render, run_checks
    from bot.commands import all_commands
    from bot.log import RedactingFilter

    path = resolve_config_path(args.config, os.environ)
    names = {spec.name for spec in all_commands()}
    lines = asyncio.run(
        run_checks(config, command_names=names, timeout_s=max(0.1, args.timeout))
    )
    # Error texts quote what servers and libraries said: never let a secret through.
    redact = RedactingFilter(config.secrets()).redact
    print(f"ok   configuration: {path}", file=sys.stdout)
    print(redact(render(lines)), file=sys.stdout)
    failures = sum(not line.ok for line in lines)
    if failures:
        print(f"{failures} of {len(lines) + 1} checks failed", file=sys.stdout)
        return EXIT_FAILURE
    return EXIT_OK


def _print_summary(config: AppConfig, out: TextIO) -> None:
    print("configuration OK", file=out)
    print(f"  relay: {config.relay.base_url} (mode {config.relay.mj_mode}, "
          f"timeout {config.relay.timeout_s:g}s)", file=out)
    print(f"  telegram: {'configured' if config.telegram else 'off'}", file=out)
    print(f"  discord: {'configured' if config.discord else 'off'}", file=out)
    print(f"  storage: {config.storage.describe()}", file=out)
    print(f"  chat models: {', '.join(config.models.chat_choices)}", file=out)
