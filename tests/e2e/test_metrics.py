"""``[metrics] listen``: Prometheus text and ``/healthz`` from the running App (with
``[credits]`` on, so charges are counted too)."""

from __future__ import annotations

import asyncio
import dataclasses

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import AppConfig, CreditsConfig, MetricsConfig
from bot.core.errors import StartupError
from bot.sim import Fault, SimRelay
from tests.e2e.harness import Operator
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.telegram_api import FakeTelegram

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

pytestmark = pytest.mark.metrics

COSTS = {"mj_imagine": 8.0, "chat_1k_tokens": 1000.0}


@pytest.fixture
def config(config: AppConfig) -> AppConfig:
    return dataclasses.replace(config, credits=CreditsConfig(enabled=True, daily=1000, cost=COSTS))


async def _scrape(operator: Operator, path: str = "/metrics") -> tuple[int, str, str]:
    assert operator.app.metrics_server is not None
    url = f"http://127.0.0.1:{operator.app.metrics_server.port}{path}"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


def _samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_commands_relay_calls_jobs_and_deliveries(
    operator: Operator, sim: SimRelay
) -> None:
    await operator.tg_say("/chat hello")
    assert "reply #1" in await operator.dc_chat("hello from Discord")
    await operator.tg_say("/nosuchcommand")
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=401))
    await operator.tg_say("/chat this one is refused by the relay")
    await operator.tg_say("/imagine a red fox")
    await operator.tg_say("/imagine [fail] a grey fox")
    await operator.tick(5)
    assert operator.tg_results(), "the imagine result was delivered"

    status, content_type, text = await _scrape(operator)
    assert status == 200 and content_type.startswith("text/plain; version=")
    s = _samples(text)
    assert _value(s, "relaybot_commands_total", command="chat", outcome="ok") == 2
    assert _value(s, "relaybot_commands_total", command="chat", outcome="relay_error") == 1
    assert _value(s, "relaybot_commands_total", command="unknown", outcome="user_error") == 1
    assert _value(s, "relaybot_commands_total", command="imagine", outcome="ok") == 2
    assert _value(s, "relaybot_relay_request_seconds_count",
                  endpoint="/v1/chat/completions") == 3
    assert _value(s, "relaybot_relay_request_seconds_count",
                  endpoint="/mj/task/list-by-condition") >= 1
    assert _value(s, "relaybot_relay_errors_total", kind="auth") == 1
    assert _value(s, "relaybot_jobs_total", kind="mj", state="submitted") == 2
    assert _value(s, "relaybot_jobs_total", kind="mj", state="succeeded") == 1
    assert _value(s, "relaybot_jobs_total", kind="mj", state="failed") == 1
    assert _value(s, "relaybot_deliveries_total", platform="telegram", outcome="delivered") == 2
    # The succeeded /imagine is charged once (its refunded twin is not counted); both chat
    # answers are charged by their tokens, the one the relay refused is not.
    assert _value(s, "relaybot_credits_spent_total", capability="midjourney") == 8
    charges = [e for e in await operator.app.core.services.store.ledger_entries()
               if e.kind == "charge"]
    chat_charged = sum(e.amount for e in charges if e.capability == "chat")
    assert len([e for e in charges if e.capability == "chat"]) == 2 and chat_charged > 0
    assert _value(s, "relaybot_credits_spent_total", capability="chat") == pytest.approx(
        chat_charged)
    assert "python_gc_objects_collected" not in text, "a registry of our own, not the global"


async def test_healthz_answers_on_the_metrics_port(operator: Operator) -> None:
    status, content_type, text = await _scrape(operator, "/healthz")
    assert status == 200 and content_type.startswith("application/json")
    assert text == '{"status": "ok"}'


async def test_a_taken_metrics_port_is_one_clear_startup_error(
    config: AppConfig, tg: FakeTelegram, clock: JumpingClock
) -> None:
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = int(taken.sockets[0].getsockname()[1])
    try:
        config = dataclasses.replace(config, metrics=MetricsConfig(listen=("127.0.0.1", port)))
        with pytest.raises(StartupError, match=rf"cannot serve metrics on 127.0.0.1:{port}"):
            await start_app(config, clock)
    finally:
        taken.close()
        await taken.wait_closed()
