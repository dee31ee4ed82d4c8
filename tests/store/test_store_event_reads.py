"""Contract: what one event reads about its user and place, read in one trip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.store.base import EventQuery, SettingScope, Store

OpenStore = Callable[..., Awaitable[Store]]

USER, CHAT = SettingScope.USER, SettingScope.CHAT
QUERY = EventQuery(
    platform="telegram", user_id="7", question_chat_id="-100/5", chat_id="-100",
    chat_key="language", identities=("telegram:7", "telegram:-100"), allowance_of="telegram:7",
)


async def test_nothing_stored_reads_as_nothing(store: Store) -> None:
    reads = await store.read_for_event(QUERY)

    assert reads.query == QUERY
    assert dict(reads.user_settings) == {}
    assert reads.chat_setting is None and reads.pending is None and reads.allowance is None
    assert dict(reads.access_rules) == {}


async def test_each_part_reads_as_its_own_method_does(store: Store) -> None:
    await store.set_setting(USER, "telegram", "7", "language", "zh")
    await store.set_setting(USER, "telegram", "7", "size", {"w": 2, "h": 3})
    await store.set_setting(USER, "telegram", "8", "language", "en")  # someone else
    await store.set_setting(CHAT, "telegram", "-100", "language", "en")
    await store.put_pending("telegram", "-100/5", "7", kind="mj_modal",
                            payload={"token": "t1"}, ttl_s=60)
    await store.put_pending("telegram", "-100", "7", kind="other_topic", ttl_s=60)
    await store.set_access_rule("telegram:7", "allow", at=1.0)
    await store.set_access_rule("telegram:-100", "deny", at=1.0)
    await store.set_access_rule("telegram:9", "deny", at=1.0)  # not asked about
    await store.set_allowance("telegram:7", 12.5, at=1.0)

    reads = await store.read_for_event(QUERY)

    assert reads.user_settings == await store.all_settings(USER, "telegram", "7")
    assert reads.user_settings == {"language": "zh", "size": {"w": 2, "h": 3}}
    assert reads.chat_setting == "en"
    assert reads.pending == await store.get_pending("telegram", "-100/5", "7",
                                                    include_expired=True)
    assert reads.pending is not None and reads.pending.kind == "mj_modal"
    assert reads.access_rules == await store.access_rules(QUERY.identities)
    assert reads.access_rules == {"telegram:7": "allow", "telegram:-100": "deny"}
    assert reads.allowance == 12.5


async def test_an_expired_question_is_read_and_marked(
    store: Store, advance: Callable[[float], None]
) -> None:
    await store.put_pending("telegram", "-100/5", "7", kind="mj_modal", ttl_s=30)
    advance(31)

    reads = await store.read_for_event(QUERY)

    assert reads.pending is not None and reads.pending.expired
    assert reads.pending == await store.get_pending("telegram", "-100/5", "7",
                                                    include_expired=True)


async def test_only_what_the_query_names_is_read(store: Store) -> None:
    await store.set_setting(CHAT, "telegram", "-100", "language", "en")
    await store.set_access_rule("telegram:7", "deny", at=1.0)
    await store.set_allowance("telegram:7", 3.0, at=1.0)
    private = EventQuery(platform="telegram", user_id="7", question_chat_id="7")

    reads = await store.read_for_event(private)

    assert reads.chat_setting is None and reads.allowance is None
    assert dict(reads.access_rules) == {}


async def test_another_process_s_change_is_read_by_the_next_event(open_store: OpenStore) -> None:
    mine, theirs = await open_store(), await open_store()
    assert dict((await mine.read_for_event(QUERY)).access_rules) == {}

    await theirs.set_access_rule("telegram:7", "deny", at=1.0)
    await theirs.set_setting(USER, "telegram", "7", "language", "en")
    await theirs.put_pending("telegram", "-100/5", "7", kind="mj_modal", ttl_s=60)

    reads = await mine.read_for_event(QUERY)
    assert reads.access_rules == {"telegram:7": "deny"}
    assert reads.user_settings == {"language": "en"}
    assert reads.pending is not None and reads.pending.kind == "mj_modal"
