"""Telegram (``getMe``, webhook state) and Discord (``/users/@me``, commands synced).

Plain HTTP calls through the same proxy the bot would use, so a check passes only when
the running bot could connect too. The tokens go in the URL (Telegram) or a header
(Discord) and are never part of a result line.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, Final

import aiohttp

from bot.check.lines import CheckLine, answer_message, failed, passed, short_reason
from bot.config import AppConfig, DiscordConfig, TelegramConfig
from bot.proxy import client_session, effective_proxy

DISCORD_API: Final = "https://discord.com/api/v10"
_PROXY_FIX: Final = "; behind a proxy, set [network] proxy (or [{section}] proxy)"


class _Refused(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.said = answer_message(body)


async def _get_json(
    http: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str], timeout_s: float
) -> Any:
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with http.request(method, url, headers=headers, timeout=timeout) as response:
        body = await response.read()
        if response.status >= 400:
            raise _Refused(response.status, body)
        try:
            return json.loads(body)
        except ValueError:
            raise _Refused(response.status, body) from None


# -- Telegram ----------------------------------------------------------------------------


async def check_telegram(
    config: AppConfig, telegram: TelegramConfig, *, timeout_s: float
) -> CheckLine:
    proxy = effective_proxy(config.proxy_for("telegram"), trust_env=config.network.trust_env,
                            target_url=telegram.base_url)
    base = f"{telegram.base_url}{telegram.token.reveal()}"
    try:
        async with client_session(proxy) as http:
            me = (await _get_json(http, "POST", f"{base}/getMe", {}, timeout_s))["result"]
            hook = (await _get_json(http, "POST", f"{base}/getWebhookInfo", {}, timeout_s))
    except _Refused as refused:
        if refused.status in (401, 404):  # Telegram answers 404 to a malformed token
            return failed("telegram", f"Telegram refused the bot token (HTTP {refused.status})",
                          "check telegram.token / telegram.token_env: the token @BotFather "
                          "gave you, e.g. 123456:ABC-…")
        return failed("telegram", f"the Bot API answered HTTP {refused.status}: {refused.said}",
                      "check telegram.base_url")
    except (aiohttp.ClientError, OSError, TimeoutError, KeyError, TypeError) as exc:
        return failed("telegram", f"cannot reach the Bot API: {short_reason(exc)}",
                      "check telegram.base_url and the network"
                      + _PROXY_FIX.format(section="telegram"))
    return passed("telegram", f"bot @{me.get('username')}; {_webhook_state(telegram, hook)}")


def _webhook_state(telegram: TelegramConfig, hook: Any) -> str:
    info = hook.get("result") if isinstance(hook, dict) else None
    info = info if isinstance(info, dict) else {}
    current = str(info.get("url") or "")
    pending = info.get("pending_update_count") or 0
    if telegram.webhook_url is None:
        state = ("long polling (a webhook is set now; starting the bot removes it)"
                 if current else "long polling")
    elif current == telegram.webhook_url:
        state = f"webhook set to {current}"
    else:
        state = f"webhook {telegram.webhook_url} (set when the bot starts)"
    if info.get("last_error_message"):
        state += f"; Telegram's last webhook error: {info['last_error_message']}"
    return state + (f"; {pending} updates waiting" if pending else "")


# -- Discord -----------------------------------------------------------------------------


async def check_discord(
    config: AppConfig,
    discord: DiscordConfig,
    command_names: Collection[str],
    *,
    timeout_s: float,
) -> CheckLine:
    api = (discord.api_base_url or DISCORD_API).rstrip("/")
    proxy = effective_proxy(config.proxy_for("discord"), trust_env=config.network.trust_env,
                            target_url=api)
    headers = {"Authorization": f"Bot {discord.token.reveal()}"}
    try:
        async with client_session(proxy) as http:
            me = await _get_json(http, "GET", f"{api}/users/@me", headers, timeout_s)
            app = await _get_json(http, "GET", f"{api}/oauth2/applications/@me", headers,
                                  timeout_s)
            scopes = [f"guild {g}" for g in discord.guild_ids] or ["global"]
            unsynced: list[str] = []
            for scope, guild in zip(scopes, discord.guild_ids or (None,), strict=True):
                path = f"/applications/{app['id']}" + (f"/guilds/{guild}" if guild else "")
                registered = await _get_json(http, "GET", f"{api}{path}/commands", headers,
                                             timeout_s)
                names = {str(c.get("name")) for c in registered if isinstance(c, dict)}
                if names != set(command_names):
                    unsynced.append(_difference(scope, set(command_names), names))
    except _Refused as refused:
        if refused.status == 401:
            return failed("discord", "Discord refused the bot token (HTTP 401)",
                          "check discord.token / discord.token_env: the Bot token from the "
                          "Developer Portal (Bot → Reset Token)")
        return failed("discord", f"Discord answered HTTP {refused.status}: {refused.said}",
                      "check discord.api_base_url and discord.guild_ids (the bot must be in "
                      "each guild)")
    except (aiohttp.ClientError, OSError, TimeoutError, KeyError, TypeError) as exc:
        return failed("discord", f"cannot reach Discord: {short_reason(exc)}",
                      "check the network" + _PROXY_FIX.format(section="discord"))
    who = f"logged in as {me.get('username')}"
    if unsynced:
        return failed("discord", f"{who}; slash commands not synced: {'; '.join(unsynced)}",
                      "run `relaybot sync-commands` (or `relaybot run --sync-commands`)")
    where = ", ".join(scopes)
    return passed("discord", f"{who}; {len(command_names)} slash commands synced ({where})")


def _difference(scope: str, wanted: set[str], registered: set[str]) -> str:
    parts = []
    if wanted - registered:
        parts.append("missing " + ", ".join(sorted(wanted - registered)))
    if registered - wanted:
        parts.append("outdated " + ", ".join(sorted(registered - wanted)))
    return f"{scope}: {'; '.join(parts)}"
