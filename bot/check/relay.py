"""The relay: reachable, key accepted, which configured models and features it serves.

The key is tried with ``GET /v1/models`` (free, and it lists the models). A relay that
does not serve that route is asked a request it refuses before any upstream call: a
chat completion without messages, which costs nothing whether the key is good (400)
or not (401). Feature probes use read-only or empty requests; a 404 that is about
the route (a gateway's ``{"detail": "Not Found"}``), not about a task, means this relay
lacks the feature, by the same rule the relay client applies to real requests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import aiohttp

from bot.check.lines import CheckLine, answer_message, failed, passed, short_reason
from bot.config import AppConfig
from bot.proxy import client_session, effective_proxy
from bot.relay.envelopes import error_from_response
from bot.relay.errors import FeatureMissingError

SERVICE: Final = "relay"


@dataclass(frozen=True, slots=True)
class Probe:
    feature: str
    method: str
    path: str
    body: object


# What the bot offers beyond chat, and a request for each that creates nothing.
FEATURE_PROBES: Final = (
    Probe("audio translation (/translate)", "POST", "/v1/audio/translations", {}),
    Probe("Midjourney", "POST", "/mj/task/list-by-condition", {"ids": []}),
    Probe("Suno", "GET", "/suno/v1/music/relaybot-check", None),
    Probe("Luma", "GET", "/luma/v1/generations/relaybot-check", None),
)


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes


async def check_relay(config: AppConfig, *, timeout_s: float) -> CheckLine:
    relay = config.relay
    proxy = effective_proxy(
        config.proxy_for("relay"), trust_env=config.network.trust_env, target_url=relay.base_url
    )
    headers = {"Authorization": f"Bearer {relay.api_key.reveal()}", "Accept": "application/json"}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with client_session(proxy) as http:

            async def ask(method: str, path: str, body: object = None) -> _Answer:
                async with http.request(
                    method, relay.base_url + path, json=body, headers=headers, timeout=timeout
                ) as response:
                    return _Answer(response.status, await response.read())

            models = await ask("GET", "/v1/models")
            key = models
            if models.status in (404, 405):
                key = await ask("POST", "/v1/chat/completions",
                                {"model": config.models.chat, "messages": []})
            if key.status in (401, 403):
                return _key_refused(key)
            if key.status in (404, 405):
                return _no_chat_route(relay.base_url, key)
            if key.status >= 500 or key.status == 429:
                return failed(
                    SERVICE,
                    f"{relay.base_url} answered HTTP {key.status}: {answer_message(key.body)}",
                    "the relay itself has a problem: try again later or ask its operator",
                )
            missing = [p.feature for p in FEATURE_PROBES
                       if _lacks(p, await ask(p.method, p.path, p.body))]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return _unreachable(config, proxy, exc)
    parts = [f"{relay.base_url} reachable, key accepted"]
    if proxy is not None:
        parts.append("through the proxy")
    parts.append(_models_summary(config, models))
    if missing:
        parts.append("not served (404): " + ", ".join(missing))
    return passed(SERVICE, "; ".join(parts))


def _lacks(probe: Probe, answer: _Answer) -> bool:
    """The relay client's own rule: a 404 about the route (not about a task) on a
    feature's path means the relay lacks the feature."""
    if answer.status != 404:
        return False
    error = error_from_response(answer.status, answer.body, path=probe.path)
    return isinstance(error, FeatureMissingError)


def _models_summary(config: AppConfig, models: _Answer) -> str:
    offered = _model_ids(models)
    if offered is None:
        return "model list not served (GET /v1/models)"
    m = config.models
    wanted = dict.fromkeys([m.chat, *m.chat_choices, m.vision, m.completion, m.image, m.tts,
                            m.transcription, m.embedding])
    # A listed "gpt-4-gizmo-*" stands for every GPT of that family.
    families = tuple(name[:-1] for name in offered if name.endswith("*"))
    absent = [name for name in wanted if name not in offered and not name.startswith(families)]
    summary = f"offers {len(wanted) - len(absent)} of {len(wanted)} configured models"
    return summary + (f" (not offered: {', '.join(absent)})" if absent else "")


def _model_ids(models: _Answer) -> set[str] | None:
    if models.status != 200:
        return None
    try:
        data = json.loads(models.body)
    except ValueError:
        return None
    listed = data.get("data") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return None
    return {str(item["id"]) for item in listed if isinstance(item, dict) and "id" in item}


def _no_chat_route(base_url: str, answer: _Answer) -> CheckLine:
    """Neither the model list nor chat answers: the base URL is not the relay's API root
    (most often it ends in /v1, which every request path already starts with)."""
    path = "/v1/chat/completions"
    fix = ("set relay.base_url to the relay's address without /v1"
           if base_url.rstrip("/").endswith("/v1")
           else "check relay.base_url: the address the relay's dashboard gives for its API")
    return failed(SERVICE, f"{base_url} has no chat completions route "
                           f"(HTTP {answer.status} for {path})", fix)


def _key_refused(answer: _Answer) -> CheckLine:
    said = answer_message(answer.body)
    return failed(
        SERVICE,
        f"the relay refused the API key (HTTP {answer.status}{': ' + said if said else ''})",
        "check relay.api_key (or the variable named by relay.api_key_env): copy the key "
        "again from the relay's dashboard, and check it has quota left",
    )


def _unreachable(config: AppConfig, proxy: str | None, exc: BaseException) -> CheckLine:
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return failed(
            SERVICE,
            f"the proxy did not let the bot through ({short_reason(exc)})",
            "check [network] proxy / [relay] proxy: address, port and credentials",
        )
    via = " (through the proxy)" if proxy else ""
    return failed(
        SERVICE,
        f"cannot reach {config.relay.base_url}{via}: {short_reason(exc)}",
        "check relay.base_url (scheme, host, port) and that the relay is up; behind a "
        "proxy, set [network] proxy or trust_env = true",
    )
