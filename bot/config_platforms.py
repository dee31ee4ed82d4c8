"""The chat platforms' sections: ``[telegram]`` and ``[discord]``.

A section that is absent reads as ``None``: that platform is not run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config_reader import Secret, SectionReader


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: Secret
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_timeout_s: float = 10.0
    webhook_url: str | None = None  # None: long polling
    webhook_listen_host: str = "127.0.0.1"
    webhook_listen_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_secret: Secret | None = None
    proxy: Secret | None = None  # overrides [network] proxy for Telegram
    # False: this process only sends (job results); another one polls or serves the webhook.
    receive: bool = True


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: Secret
    api_base_url: str | None = None
    gateway_url: str | None = None
    guild_ids: tuple[int, ...] = ()
    thread_per_conversation: bool = False  # /chat and mentions in a channel open a thread
    proxy: Secret | None = None  # overrides [network] proxy for Discord (REST and gateway)
    # False: REST only (sends job results), no gateway connection and so no events.
    receive: bool = True
    # The gateway shards this process runs (AutoShardedClient); None: unsharded, unless
    # shard_count alone is set (then all of 0..shard_count-1 run here).
    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None


def read_telegram(s: SectionReader) -> TelegramConfig | None:
    if not s.present:
        return None
    token = s.secret("token")
    base_url = s.url("base_url", "https://api.telegram.org/bot")
    base_file_url = s.url("base_file_url", "https://api.telegram.org/file/bot")
    poll_timeout_s = s.number("poll_timeout_s", 10.0, minimum=0.0, maximum=600.0)
    webhook_url = s.optional_url("webhook_url", schemes=("https",))
    listen = s.host_port("webhook_listen", ("127.0.0.1", 8443))
    webhook_path = s.string("webhook_path", "/telegram") or "/telegram"
    if not webhook_path.startswith("/"):
        s.problem("webhook_path", "must start with /")
    webhook_secret = s.optional_secret("webhook_secret")
    proxy = s.proxy()
    receive = s.boolean("receive", True)
    s.finish()
    if token is None or base_url is None or base_file_url is None:
        return None
    return TelegramConfig(
        token=Secret(token),
        base_url=base_url,
        base_file_url=base_file_url,
        poll_timeout_s=poll_timeout_s,
        webhook_url=webhook_url,
        webhook_listen_host=listen[0],
        webhook_listen_port=listen[1],
        webhook_path=webhook_path,
        webhook_secret=Secret(webhook_secret) if webhook_secret else None,
        proxy=proxy,
        receive=receive,
    )


def read_discord(s: SectionReader) -> DiscordConfig | None:
    if not s.present:
        return None
    token = s.secret("token")
    api_base_url = s.optional_url("api_base_url")
    gateway_url = s.optional_url("gateway_url", schemes=("ws", "wss"))
    guild_ids = s.int_list("guild_ids")
    thread_per_conversation = s.boolean("thread_per_conversation", False)
    proxy = s.proxy()
    receive = s.boolean("receive", True)
    shard_ids, shard_count = _shards(s, receive)
    s.finish()
    if token is None:
        return None
    return DiscordConfig(
        token=Secret(token),
        api_base_url=api_base_url,
        gateway_url=gateway_url,
        guild_ids=guild_ids,
        thread_per_conversation=thread_per_conversation,
        proxy=proxy,
        receive=receive,
        shard_ids=shard_ids,
        shard_count=shard_count,
    )


def _shards(s: SectionReader, receive: bool) -> tuple[tuple[int, ...] | None, int | None]:
    """``shard_ids`` and ``shard_count``: which gateway shards this process runs."""
    count = int(s.number("shard_count", 0, minimum=1, maximum=100_000)) or None
    ids = s.int_list("shard_ids", minimum=0, non_empty=True) if s.given("shard_ids") else None
    if ids is not None and count is None:
        s.problem("shard_ids", "needs shard_count, the number of shards of the whole bot")
        return None, None
    if ids and count is not None:
        if any(shard >= count for shard in ids):
            s.problem("shard_ids", f"shards are numbered 0 to {count - 1} (shard_count - 1)")
        elif len(set(ids)) != len(ids):
            s.problem("shard_ids", "names a shard twice")
    if count is not None and not receive:
        s.problem("shard_count", "shards only apply to a process that receives (receive = true)")
    return (tuple(sorted(ids)) if ids else None), count
