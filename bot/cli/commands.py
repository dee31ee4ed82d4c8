"""What each ``relaybot`` subcommand does: a small function per subcommand returning an
exit code (0 success, 1 bad configuration or runtime failure, 2 usage errors).
Configuration problems are printed one per line, never as a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Final, TextIO

from bot.config import AppConfig, ConfigError, load_config, resolve_config_path

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2


def load(args: argparse.Namespace, err: TextIO) -> AppConfig | None:
    path = resolve_config_path(args.config, os.environ)
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"relaybot: configuration problems in {path}:", file=err)
        for problem in exc.problems:
            print(f"  {problem}", file=err)
        return None


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import run_forever
    from bot.core.errors import StartupError
    from bot.log import setup_logging

    config = load(args, sys.stderr)
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


def cmd_sync_commands(args: argparse.Namespace) -> int:
    import asyncio

    from bot.commands import all_commands
    from bot.log import setup_logging

    config = load(args, sys.stderr)
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


def cmd_console(args: argparse.Namespace) -> int:
    config = None
    if not args.demo:
        config = load(args, sys.stderr)
        if config is None:
            return EXIT_FAILURE
    return console(args, config, demo=args.demo, welcome=False)


def cmd_demo(args: argparse.Namespace) -> int:
    return console(args, None, demo=True, welcome=True)


def console(
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


def cmd_sim_relay(args: argparse.Namespace) -> int:
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


def cmd_migrate_store(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path
    from urllib.parse import urlsplit

    from bot.config_storage import url_without_secrets
    from bot.store.base import StoreError
    from bot.store.transfer import copy_sqlite_to_postgres

    url: str | None = args.target
    if url is None:
        config = load(args, sys.stderr)
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


def cmd_backup(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from bot.backup import BackupError, backup_sqlite

    config = load(args, sys.stderr)
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


def cmd_check(args: argparse.Namespace) -> int:
    config = load(args, sys.stderr)
    if config is None:
        return EXIT_FAILURE
    if args.offline:
        import asyncio

        from bot.check.store import sqlite_problem

        problem = asyncio.run(sqlite_problem(config))  # file-only: no server to reach
        if problem is not None:
            print(f"relaybot: {problem}", file=sys.stderr)
            return EXIT_FAILURE
        print_summary(config, sys.stdout)
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


def print_summary(config: AppConfig, out: TextIO) -> None:
    print("configuration OK", file=out)
    print(f"  relay: {config.relay.base_url} (mode {config.relay.mj_mode}, "
          f"timeout {config.relay.timeout_s:g}s)", file=out)
    print(f"  telegram: {'configured' if config.telegram else 'off'}", file=out)
    print(f"  discord: {'configured' if config.discord else 'off'}", file=out)
    print(f"  storage: {config.storage.describe()}", file=out)
    print(f"  chat models: {', '.join(config.models.chat_choices)}", file=out)
