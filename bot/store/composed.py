"""``ComposedStore``: a whole ``Store`` made of one object per part.

Each backend writes one small class per protocol part (``SqliteJobs``, ``PgSettings``...) over
its shared connection, and ``ComposedStore`` puts them together; callers see one flat object
with every method. The parts stay reachable as attributes (``store.jobs``) for code that wants
to hand on just one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

from bot.store.base import (
    AccessStore,
    ButtonStore,
    ConversationStore,
    EventStore,
    LedgerStore,
    PendingStore,
    SettingsStore,
    Store,
    UsageStore,
)
from bot.store.jobs import DeliveryStore, JobStore


class ComposedStore:
    """Delegates every ``Store`` method to the part that implements it."""

    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: SettingsStore,
        jobs: JobStore,
        deliveries: DeliveryStore,
        buttons: ButtonStore,
        pending: PendingStore,
        usage: UsageStore,
        ledger: LedgerStore,
        access: AccessStore,
        events: EventStore,
        close: Callable[[], Awaitable[None]],
        description: str,
    ) -> None:
        self.conversations = conversations
        self.settings = settings
        self.jobs = jobs
        self.deliveries = deliveries
        self.buttons = buttons
        self.pending = pending
        self.usage = usage
        self.ledger = ledger
        self.access = access
        self.events = events
        self.description = description  # for logs: never holds a password
        self._close = close

        self.active_conversation = conversations.active_conversation
        self.reset_conversation = conversations.reset_conversation
        self.get_conversation = conversations.get_conversation
        self.set_conversation_model = conversations.set_conversation_model
        self.set_conversation_persona = conversations.set_conversation_persona
        self.append_message = conversations.append_message
        self.history = conversations.history
        self.active_conversation_and_history = conversations.active_conversation_and_history

        self.get_setting = settings.get_setting
        self.set_setting = settings.set_setting
        self.delete_setting = settings.delete_setting
        self.all_settings = settings.all_settings

        self.create_job = jobs.create_job
        self.get_job = jobs.get_job
        self.get_job_by_relay_id = jobs.get_job_by_relay_id
        self.update_job = jobs.update_job
        self.apply_job_updates = jobs.apply_job_updates
        self.list_active_jobs = jobs.list_active_jobs
        self.list_tick_jobs = jobs.list_tick_jobs
        self.get_jobs = jobs.get_jobs
        self.list_jobs_for_owner = jobs.list_jobs_for_owner
        self.count_active_jobs = jobs.count_active_jobs
        self.replace_status_message = jobs.replace_status_message
        self.accept_submit = jobs.accept_submit
        self.set_status_message = jobs.set_status_message
        self.close_refused_submit = jobs.close_refused_submit
        self.discard_submitting_job = jobs.discard_submitting_job

        self.list_due_deliveries = deliveries.list_due_deliveries
        self.list_due_delivery_ids = deliveries.list_due_delivery_ids
        self.claim_delivery = deliveries.claim_delivery
        self.finish_delivery = deliveries.finish_delivery
        self.record_delivered_piece = deliveries.record_delivered_piece
        self.release_delivery = deliveries.release_delivery
        self.workers_with_prefix = deliveries.workers_with_prefix
        self.take_over = deliveries.take_over
        self.claim_lease = deliveries.claim_lease
        self.release_lease = deliveries.release_lease

        self.create_buttons = buttons.create_buttons
        self.claim_delivery_with_buttons = buttons.claim_delivery_with_buttons
        self.get_button = buttons.get_button
        self.buttons_for_job = buttons.buttons_for_job
        self.claim_button = buttons.claim_button
        self.attach_button_job = buttons.attach_button_job
        self.release_button = buttons.release_button

        self.put_pending = pending.put_pending
        self.get_pending = pending.get_pending
        self.pop_pending = pending.pop_pending

        self.record_usage = usage.record_usage
        self.usage_summary = usage.usage_summary

        self.credit_totals = ledger.credit_totals
        self.reserve_credits = ledger.reserve_credits
        self.attach_hold = ledger.attach_hold
        self.settle_hold = ledger.settle_hold
        self.charge_credits = ledger.charge_credits
        self.grant_credits = ledger.grant_credits
        self.open_holds = ledger.open_holds
        self.ledger_entries = ledger.ledger_entries
        self.ledger_days = ledger.ledger_days

        self.set_access_rule = access.set_access_rule
        self.access_rules = access.access_rules
        self.set_allowance = access.set_allowance
        self.allowance = access.allowance

        self.read_for_event = events.read_for_event
        self.record_chat_turn = events.record_chat_turn

    async def close(self) -> None:
        await self._close()

    async def __aenter__(self) -> ComposedStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<store {self.description}>"


if TYPE_CHECKING:
    # mypy proves here that the composition offers every Store method with its signature.
    def _implements_store(store: ComposedStore) -> Store:
        return store
