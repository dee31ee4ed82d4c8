"""Configuration: one TOML file read once into typed, frozen sections.

Every problem is collected and reported together, each with its key
(``relay.base_url: missing``), so an operator fixes the file in one pass.
Secrets may be written directly (``api_key = "sk-..."``) or, better, named through
an environment variable (``api_key_env = "RELAY_API_KEY"``); either way they are
wrapped in :class:`Secret`, whose ``repr`` never shows the value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from bot.config_community import (
    AccessConfig,
    CreditsConfig,
    LimitsConfig,
    read_access,
    read_credits,
    read_limits,
)
from bot.config_platforms import DiscordConfig, TelegramConfig, read_discord, read_telegram
from bot.config_reader import ConfigError, Secret, SectionReader
from bot.config_storage import StorageConfig, read_storage

__all__ = [
    "AccessConfig",
    "AppConfig",
    "BotConfig",
    "ConfigError",
    "CreditsConfig",
    "DiscordConfig",
    "JobsConfig",
    "LimitsConfig",
    "LoggingConfig",
    "MetricsConfig",
    "ModelsConfig",
    "NetworkConfig",
    "RelayConfig",
    "Secret",
    "TelegramConfig",
    "load_config",
    "parse_config",
    "resolve_config_path",
]

MjMode = Literal["fast", "relax", "turbo"]
MJ_MODES: Final = ("fast", "relax", "turbo")
LOG_FORMATS: Final = ("text", "json")
DEFAULT_CONFIG_PATH: Final = Path("config.toml")
CONFIG_PATH_ENV: Final = "RELAYBOT_CONFIG"


@dataclass(frozen=True, slots=True)
class RelayConfig:
    base_url: str
    api_key: Secret
    timeout_s: float = 60.0
    poll_interval_s: float = 3.0
    mj_mode: MjMode = "fast"
    notify_url: str | None = None
    notify_listen: tuple[str, int] | None = None  # (host, port) the callback listener binds
    proxy: Secret | None = None  # overrides [network] proxy for the relay
    max_response_mb: float = 16.0  # the largest JSON (or error) body read from the relay
    media_hosts: tuple[str, ...] = ()  # "host[:port]" besides the relay's, trusted for media


@dataclass(frozen=True, slots=True)
class ModelsConfig:
    chat: str = "gpt-4o-mini"
    vision: str = "gpt-4o"
    completion: str = "gpt-3.5-turbo-instruct"
    image: str = "dall-e-3"
    tts: str = "tts-1"
    transcription: str = "whisper-1"
    embedding: str = "text-embedding-3-small"
    chat_choices: tuple[str, ...] = (
        "gpt-4o-mini",
        "gpt-4o",
        "gemini-pro",
        "gpt-4-all",
        "gpt-4-gizmo-g-2fkFE8rbu",
    )


@dataclass(frozen=True, slots=True)
class BotConfig:
    locale: str = "en"
    edit_interval_s: float = 1.0
    progress_interval_s: float = 3.0
    history_chars: int = 12_000
    max_prompt_chars: int = 4_000
    max_download_mb: float = 20.0
    voice_autochat: bool = True
    anyone_can_press: bool = False
    max_answer_chars: int = 20_000  # a streamed answer stops here
    # Names this process in the store (delivery leases, submits in flight); a restarted
    # process takes over the work of a gone one of the same name at once. "" = the host
    # name and the storage (then only processes no longer running on this host are gone).
    instance_name: str = ""


@dataclass(frozen=True, slots=True)
class JobsConfig:
    # How long a process's claim on a job (one poll, or one delivery) lasts: when a process
    # dies, the other processes sharing the store take its jobs over once it runs out.
    lease_s: float = 300.0
    # Results downloaded and sent at once; each holds its files (up to bot.max_download_mb
    # each) in memory. At 10,000 jobs, 4 or 16 left finished jobs queueing for a slot.
    parallel_deliveries: int = 32


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    level: str = "INFO"
    format: str = "text"  # "json": one JSON object per line


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """The proxy every service uses unless its own section names another."""

    proxy: Secret | None = None  # a URL that may carry credentials: a secret
    trust_env: bool = False  # honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    listen: tuple[str, int] | None = None  # None: no metrics endpoint


@dataclass(frozen=True, slots=True)
class AppConfig:
    relay: RelayConfig
    storage: StorageConfig = field(default_factory=StorageConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    telegram: TelegramConfig | None = None
    discord: DiscordConfig | None = None
    network: NetworkConfig = field(default_factory=NetworkConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    credits: CreditsConfig = field(default_factory=CreditsConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    def proxy_for(self, service: Literal["relay", "telegram", "discord"]) -> Secret | None:
        """The section's own ``proxy``, else ``[network] proxy`` (None: direct)."""
        section = {"relay": self.relay, "telegram": self.telegram, "discord": self.discord}
        own = section[service]
        if own is not None and own.proxy is not None:
            return own.proxy
        return self.network.proxy

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for the log redactor."""
        found = [self.relay.api_key.reveal()]
        for platform in (self.telegram, self.discord):
            if platform is not None:
                found.append(platform.token.reveal())
        if self.telegram is not None and self.telegram.webhook_secret is not None:
            found.append(self.telegram.webhook_secret.reveal())
        if self.storage.url is not None:
            found.append(self.storage.url.reveal())
            password = urlsplit(self.storage.url.reveal()).password
            if password:
                found.append(password)
        proxies = [self.relay.proxy, self.network.proxy]
        proxies += [p.proxy for p in (self.telegram, self.discord) if p is not None]
        for proxy in proxies:
            if proxy is not None:
                found += _proxy_secrets(proxy.reveal())
        return tuple(s for s in found if s)


# A host name or IP literal ([...] for IPv6), optionally with a port.
_MEDIA_HOST_RE: Final = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_KNOWN_SECTIONS: Final = (
    "relay", "telegram", "discord", "storage", "models", "bot", "jobs", "logging", "network",
    "metrics", "access", "credits", "limits",
)


def _proxy_secrets(url: str) -> list[str]:
    """The whole proxy URL and its password: either may show up in a library's log line."""
    password = urlsplit(url).password
    return [url, password] if password else [url]


def resolve_config_path(cli_path: str | None, env: Mapping[str, str]) -> Path:
    """``--config`` wins over ``RELAYBOT_CONFIG``, which wins over ``./config.toml``."""
    if cli_path:
        return Path(cli_path)
    if env.get(CONFIG_PATH_ENV):
        return Path(env[CONFIG_PATH_ENV])
    return DEFAULT_CONFIG_PATH


def load_config(path: Path, env: Mapping[str, str] | None = None) -> AppConfig:
    """Read and validate ``path``; raise :class:`ConfigError` listing every problem."""
    try:
        # utf-8-sig: editors such as Notepad start the file with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found (copy config.example.toml)"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read ({exc.strerror})"]) from None
    except UnicodeDecodeError as exc:
        problem = f"{path}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        raise ConfigError([problem]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from None
    return parse_config(raw, os.environ if env is None else env)


def parse_config(raw: Mapping[str, object], env: Mapping[str, str]) -> AppConfig:
    problems: list[str] = []
    for name in raw:
        if name not in _KNOWN_SECTIONS:
            problems.append(f"{name}: unknown section")

    relay = _relay(SectionReader.of(raw, "relay", problems, env, required=True))
    telegram = read_telegram(SectionReader.of(raw, "telegram", problems, env))
    discord = read_discord(SectionReader.of(raw, "discord", problems, env))
    storage = read_storage(SectionReader.of(raw, "storage", problems, env))
    models = _models(SectionReader.of(raw, "models", problems, env))
    bot = _bot(SectionReader.of(raw, "bot", problems, env))
    jobs = _jobs(SectionReader.of(raw, "jobs", problems, env))
    logging_ = _logging(SectionReader.of(raw, "logging", problems, env))
    network = _network(SectionReader.of(raw, "network", problems, env))
    metrics = _metrics(SectionReader.of(raw, "metrics", problems, env))
    access = read_access(SectionReader.of(raw, "access", problems, env))
    credits = read_credits(SectionReader.of(raw, "credits", problems, env))
    limits = read_limits(SectionReader.of(raw, "limits", problems, env))

    if problems or relay is None:
        raise ConfigError(problems)
    return AppConfig(
        relay=relay,
        telegram=telegram,
        discord=discord,
        storage=storage,
        models=models,
        bot=bot,
        jobs=jobs,
        logging=logging_,
        network=network,
        metrics=metrics,
        access=access,
        credits=credits,
        limits=limits,
    )


def _relay(s: SectionReader) -> RelayConfig | None:
    base_url = s.url("base_url")
    api_key = s.secret("api_key")
    timeout_s = s.number("timeout_s", 60.0, minimum=1.0, maximum=3600.0)
    poll_interval_s = s.number("poll_interval_s", 3.0, minimum=0.05, maximum=600.0)
    mj_mode = s.choice("mj_mode", "fast", MJ_MODES)
    notify_url = s.optional_url("notify_url")
    notify_listen = s.host_port("notify_listen", None)
    proxy = s.proxy()
    if (notify_url is None) != (notify_listen is None):
        s.problem("notify_url", "notify_url and notify_listen go together: set both or neither")
    max_response_mb = s.number("max_response_mb", 16.0, minimum=0.1, maximum=2048)
    media_hosts = s.str_list("media_hosts", ())
    for entry in media_hosts:
        if not _MEDIA_HOST_RE.match(entry):
            s.problem("media_hosts", f"{entry!r} is not host or host:port")
    s.finish()
    if base_url is None or api_key is None:
        return None
    mode: MjMode = "relax" if mj_mode == "relax" else "turbo" if mj_mode == "turbo" else "fast"
    return RelayConfig(
        base_url=base_url.rstrip("/"),
        api_key=Secret(api_key),
        timeout_s=timeout_s,
        poll_interval_s=poll_interval_s,
        mj_mode=mode,
        notify_url=notify_url,
        notify_listen=notify_listen,
        proxy=proxy,
        max_response_mb=max_response_mb,
        media_hosts=tuple(m.lower() for m in media_hosts),
    )


def _models(s: SectionReader) -> ModelsConfig:
    d = ModelsConfig()
    models = ModelsConfig(
        chat=s.string("chat", d.chat) or d.chat,
        vision=s.string("vision", d.vision) or d.vision,
        completion=s.string("completion", d.completion) or d.completion,
        image=s.string("image", d.image) or d.image,
        tts=s.string("tts", d.tts) or d.tts,
        transcription=s.string("transcription", d.transcription) or d.transcription,
        embedding=s.string("embedding", d.embedding) or d.embedding,
        chat_choices=s.str_list("chat_choices", d.chat_choices),
    )
    if s.present and models.chat not in models.chat_choices:
        s.problem("chat", f"{models.chat!r} must be one of models.chat_choices")
    s.finish()
    return models


def _bot(s: SectionReader) -> BotConfig:
    d = BotConfig()
    bot = BotConfig(
        # The languages of bot/core/texts (config sits below core, so they are listed here).
        locale=s.choice("locale", d.locale, ("en", "zh")),
        edit_interval_s=s.number("edit_interval_s", d.edit_interval_s, minimum=0.2, maximum=60),
        progress_interval_s=s.number(
            "progress_interval_s", d.progress_interval_s, minimum=0.5, maximum=600
        ),
        history_chars=int(s.number("history_chars", d.history_chars, minimum=0, maximum=10**7)),
        max_prompt_chars=int(
            s.number("max_prompt_chars", d.max_prompt_chars, minimum=1, maximum=10**6)
        ),
        max_download_mb=s.number("max_download_mb", d.max_download_mb, minimum=0.1, maximum=2048),
        voice_autochat=s.boolean("voice_autochat", d.voice_autochat),
        anyone_can_press=s.boolean("anyone_can_press", d.anyone_can_press),
        max_answer_chars=int(
            s.number("max_answer_chars", d.max_answer_chars, minimum=500, maximum=10**6)
        ),
        instance_name=(s.string("instance_name", d.instance_name) or "").strip(),
    )
    s.finish()
    return bot


def _jobs(s: SectionReader) -> JobsConfig:
    d = JobsConfig()
    jobs = JobsConfig(
        lease_s=s.number("lease_s", d.lease_s, minimum=1.0, maximum=86_400.0),
        parallel_deliveries=int(s.number("parallel_deliveries", d.parallel_deliveries,
                                         minimum=1, maximum=256)),
    )
    s.finish()
    return jobs


def _logging(s: SectionReader) -> LoggingConfig:
    level = s.choice("level", "INFO", _LOG_LEVELS, normalise=str.upper)
    format_ = s.choice("format", "text", LOG_FORMATS)
    s.finish()
    return LoggingConfig(level=level, format=format_)


def _network(s: SectionReader) -> NetworkConfig:
    proxy = s.proxy()
    trust_env = s.boolean("trust_env", False)
    s.finish()
    return NetworkConfig(proxy=proxy, trust_env=trust_env)


def _metrics(s: SectionReader) -> MetricsConfig:
    listen = s.host_port("listen", None)
    s.finish()
    return MetricsConfig(listen=listen)
