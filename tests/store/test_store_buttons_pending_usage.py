"""Contract: button keys, pending text inputs and the usage ledger."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator

import pytest

from bot.store.base import BUTTON_KEY_MAX_LEN, ButtonSpec, Store, StoreError, UsageTotals

OpenStore = Callable[..., Awaitable[Store]]

URL_SAFE_KEY = re.compile(rf"[A-Za-z0-9_-]{{1,{BUTTON_KEY_MAX_LEN}}}")
CUSTOM_ID = "MJ::JOB::upsample::1::2b5a7f1c-9a4e-4c0e-8c6e-2f3b1d0a9e77"


async def _job_id(store: Store) -> int:
    job = await store.create_job(kind="mj", platform="telegram", user_id="u", chat_id="c")
    return job.id


async def test_buttons_get_short_unique_url_safe_keys(store: Store) -> None:
    job_id = await _job_id(store)
    specs = [
        ButtonSpec("mj_action", label=f"U{n}", emoji="🔍", custom_id=f"{CUSTOM_ID}{n}")
        for n in range(100)
    ]
    created = await store.create_buttons(job_id, specs, message_ref="tg:c:9")
    more = await store.create_buttons(job_id, specs[:50])

    keys = [b.key for b in created + more]
    assert len(set(keys)) == 150
    assert all(URL_SAFE_KEY.fullmatch(key) for key in keys)
    assert all(len(key.encode()) <= BUTTON_KEY_MAX_LEN for key in keys)
    assert [b.position for b in created] == list(range(100))


async def test_one_messages_keys_share_a_random_prefix_and_differ_after_it(
    store: Store,
) -> None:
    """A message's keys sit together in the key index (one page written, not nine); each
    is still 72 random bits, and another message's keys start elsewhere."""
    job_id = await _job_id(store)
    specs = [ButtonSpec("mj_action", label=f"U{n}") for n in range(9)]
    first = [b.key for b in await store.create_buttons(job_id, specs)]
    second = [b.key for b in await store.create_buttons(job_id, specs)]

    for keys in (first, second):
        assert all(len(key) == 12 and URL_SAFE_KEY.fullmatch(key) for key in keys)
        assert len({key[:4] for key in keys}) == 1
        assert len({key[4:] for key in keys}) == 9
    assert first[0][:4] != second[0][:4]  # a 24-bit coincidence would fail this (2**-24)


async def test_a_key_factory_that_miscounts_fails_and_writes_nothing(
    open_store: OpenStore,
) -> None:
    short = await open_store(key_factory=lambda n: ["only-one"])
    job_id = await _job_id(short)
    with pytest.raises(ValueError, match="1 keys for 2 buttons"):
        await short.create_buttons(job_id, [ButtonSpec("a"), ButtonSpec("b")])
    assert await short.buttons_for_job(job_id) == []


async def test_a_button_key_leads_back_to_its_job_and_custom_id(store: Store) -> None:
    job_id = await _job_id(store)
    upscale, reroll = await store.create_buttons(
        job_id,
        [
            ButtonSpec("mj_action", label="U1", custom_id=CUSTOM_ID),
            ButtonSpec("mj_action", emoji="🔄", custom_id="MJ::JOB::reroll::0::x::SOLO",
                       payload={"modal": False}),
        ],
        message_ref="dc:1:2",
    )  # fmt: skip

    found = await store.get_button(upscale.key)
    assert found == upscale
    assert (found.job_id, found.custom_id, found.label, found.emoji) == (
        job_id, CUSTOM_ID, "U1", "",
    )  # fmt: skip
    assert found.message_ref == "dc:1:2"
    assert (reroll.emoji, reroll.payload) == ("🔄", {"modal": False})
    assert await store.get_button("no-such-key") is None
    assert await store.buttons_for_job(job_id) == [upscale, reroll]


async def test_buttons_without_a_job_are_allowed(store: Store) -> None:
    (retry,) = await store.create_buttons(None, [ButtonSpec("retry", payload={"chat": 1})])
    assert (await store.get_button(retry.key)) == retry
    assert retry.job_id is None


async def test_key_collisions_are_retried(open_store: OpenStore) -> None:
    def keys() -> Iterator[str]:
        yield from ["dup", "dup", "dup", "fresh"]

    source = keys()
    store = await open_store(key_factory=lambda n: [next(source) for _ in range(n)])
    job_id = await _job_id(store)

    first, second = await store.create_buttons(job_id, [ButtonSpec("a"), ButtonSpec("b")])
    assert (first.key, second.key) == ("dup", "fresh")


async def test_unusable_or_exhausted_keys_fail_the_whole_batch(open_store: OpenStore) -> None:
    always_same = await open_store(key_factory=lambda n: ["same"] * n)
    job_id = await _job_id(always_same)
    await always_same.create_buttons(job_id, [ButtonSpec("a")])
    with pytest.raises(StoreError):
        await always_same.create_buttons(job_id, [ButtonSpec("b")])

    too_long = await open_store(key_factory=lambda n: ["x" * (BUTTON_KEY_MAX_LEN + 1)] * n)
    with pytest.raises(ValueError):
        await too_long.create_buttons(job_id, [ButtonSpec("c")])
    assert [b.kind for b in await always_same.buttons_for_job(job_id)] == ["a"]


async def test_pending_input_put_replaces_and_get_keeps(
    store: Store, advance: Callable[[float], None]
) -> None:
    await store.put_pending("discord", "c", "u", kind="mj_modal", payload={"job": 1}, ttl_s=60)
    advance(10)
    latest = await store.put_pending(
        "discord", "c", "u", kind="mj_modal", payload={"job": 2}, ttl_s=60
    )
    assert latest.expires_at == latest.created_at + 60

    assert await store.get_pending("discord", "c", "u") == latest
    assert await store.get_pending("discord", "c", "u") == latest
    assert await store.get_pending("discord", "c", "other-user") is None
    assert await store.get_pending("telegram", "c", "u") is None


async def test_pending_input_pop_takes_it_once(store: Store) -> None:
    put = await store.put_pending("telegram", "c", "u", kind="remix", payload=[1], ttl_s=60)
    assert await store.pop_pending("telegram", "c", "u") == put
    assert await store.pop_pending("telegram", "c", "u") is None
    assert await store.get_pending("telegram", "c", "u") is None


async def test_a_pop_of_the_question_seen_leaves_a_newer_one_in_place(
    store: Store, advance: Callable[[float], None]
) -> None:
    seen = await store.put_pending("telegram", "c", "u", kind="zoom", payload={"n": 1},
                                   ttl_s=60)
    advance(1)  # another process asks the same user a new question
    newer = await store.put_pending("telegram", "c", "u", kind="zoom", payload={"n": 2},
                                    ttl_s=60)
    assert await store.pop_pending("telegram", "c", "u", only=seen) is None
    assert await store.get_pending("telegram", "c", "u") == newer
    assert await store.pop_pending("telegram", "c", "u", only=newer) == newer
    assert await store.get_pending("telegram", "c", "u") is None


async def test_concurrent_pops_from_two_processes_deliver_once(open_store: OpenStore) -> None:
    first, second = await open_store(), await open_store()
    for n in range(20):
        await first.put_pending("telegram", "c", "u", kind="zoom", payload=n, ttl_s=60)
        taken = await asyncio.gather(
            first.pop_pending("telegram", "c", "u"),
            second.pop_pending("telegram", "c", "u"),
            second.pop_pending("telegram", "c", "u"),
        )
        assert [p.payload for p in taken if p is not None] == [n]


async def test_expired_pending_inputs_are_ignored_and_a_pop_removes_them(
    store: Store, advance: Callable[[float], None]
) -> None:
    await store.put_pending("telegram", "c", "old", kind="k", ttl_s=30)
    await store.put_pending("telegram", "c", "popped", kind="k", ttl_s=30)
    await store.put_pending("telegram", "c", "fresh", kind="k", ttl_s=300)
    advance(30)

    assert await store.get_pending("telegram", "c", "old") is None
    assert await store.pop_pending("telegram", "c", "popped") is None
    assert await store.get_pending("telegram", "c", "old", include_expired=True) is not None
    assert await store.get_pending("telegram", "c", "popped", include_expired=True) is None
    assert await store.get_pending("telegram", "c", "fresh") is not None


async def test_an_expired_pending_input_is_readable_and_taken_only_when_asked_for(
    store: Store, advance: Callable[[float], None]
) -> None:
    put = await store.put_pending("telegram", "c", "u", kind="q", payload={"n": 1}, ttl_s=30)
    assert put.expired is False
    advance(31)
    assert await store.get_pending("telegram", "c", "u") is None
    stale = await store.get_pending("telegram", "c", "u", include_expired=True)
    assert stale is not None and stale.expired and stale.payload == {"n": 1}
    taken = await store.pop_pending("telegram", "c", "u", include_expired=True)
    assert taken is not None and taken.expired and taken.kind == "q"
    assert await store.pop_pending("telegram", "c", "u", include_expired=True) is None


async def test_a_live_pending_input_read_with_expired_ones_is_not_marked_expired(
    store: Store,
) -> None:
    put = await store.put_pending("discord", "c", "u", kind="q", ttl_s=60)
    assert await store.get_pending("discord", "c", "u", include_expired=True) == put
    assert await store.pop_pending("discord", "c", "u", include_expired=True) == put


async def test_usage_summary_counts_per_kind_within_the_window(
    store: Store, clock: Callable[[], float], advance: Callable[[float], None]
) -> None:
    start = clock()
    await store.record_usage("telegram", "u", "c", kind="chat", model="gpt-4o", units=120)
    await store.record_usage("telegram", "u", "c2", kind="chat", model="gpt-4", units=30)
    await store.record_usage("telegram", "u", "c", kind="dalle", model="dall-e-3", units=2)
    await store.record_usage("telegram", "other", "c", kind="chat", units=999)
    await store.record_usage("discord", "u", "c", kind="chat", units=999)
    advance(100)
    await store.record_usage("telegram", "u", "c", kind="mj")

    everything = await store.usage_summary("telegram", "u", since=start)
    assert everything == {
        "chat": UsageTotals("chat", count=2, units=150),
        "dalle": UsageTotals("dalle", count=1, units=2),
        "mj": UsageTotals("mj", count=1, units=1),
    }
    first_window = await store.usage_summary("telegram", "u", since=start, until=start + 100)
    assert set(first_window) == {"chat", "dalle"}
    assert await store.usage_summary("telegram", "u", since=start + 101) == {}
