"""Parsing of Midjourney answers (RELAY_API.md §5.2-§5.8) into ``MjSubmit`` / ``MjTask``.

Submit codes: 1 submitted, 21 exists / waiting for a modal, 22 queued — all accepted when
``result`` holds a task id (new-api rewrites 21/22 to 1, other tables disagree, so the id
is what decides). 23 queue full, 24 banned prompt; anything else is a rejection showing
``description``.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.lenient import (
    as_dict,
    as_int,
    as_list,
    as_str,
    epoch_ms,
    first_present,
    opt_str,
    percent,
)
from bot.relay import errors
from bot.relay.envelopes import NOT_FOUND_MARKERS, QUOTA_MARKERS, classify, error_in_body
from bot.relay.types import MjAction, MjButton, MjPage, MjStatus, MjSubmit, MjTask

ACCEPTED_CODES = frozenset({1, 21, 22})
CODE_QUEUE_FULL = 23
CODE_BANNED = 24
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
# Exact wire values → members by one dict look-up (the enum call is ~10x slower); the
# enum itself still decides anything else (other cases, unknown values → UNKNOWN).
_ACTIONS: dict[str, MjAction] = {member.value: member for member in MjAction}
_STATUSES: dict[str, MjStatus] = {member.value: member for member in MjStatus}


def _action(text: str) -> MjAction:
    return _ACTIONS.get(text) or MjAction(text or "UNKNOWN")


def _status(text: str) -> MjStatus:
    return _STATUSES.get(text) or MjStatus(text or "UNKNOWN")


def rejection(code: int, description: str, properties: dict[str, object]) -> errors.RelayError:
    """The error for a Midjourney answer whose ``code`` is not an accepted one."""
    text = description or f"Midjourney refused the request (code {code})"
    lowered = text.lower()
    if code == CODE_BANNED:
        return errors.BannedPromptError(text, code=code, properties=properties)
    if code == CODE_QUEUE_FULL:
        return errors.QueueFullError(text, code=code, properties=properties)
    if "unknown_action" in lowered:
        return errors.UnknownActionError(text, code=code, properties=properties)
    if any(m.lower() in lowered for m in QUOTA_MARKERS + NOT_FOUND_MARKERS):
        return classify(200, text, code=str(code))
    return errors.RejectedError(text, code=code, properties=properties)


def _checked(body: object) -> dict[str, object]:
    if (error := error_in_body(body)) is not None:
        raise error
    data = as_dict(body)
    if "code" not in data:
        raise errors.RelayDecodeError("the Midjourney answer has no code")
    return data


def parse_submit(body: object) -> MjSubmit:
    data = _checked(body)
    code = as_int(data.get("code"), -1)
    description = as_str(data.get("description")).strip()
    props = as_dict(data.get("properties"))
    task_id = as_str(data.get("result"))
    if code not in ACCEPTED_CODES:
        raise rejection(code, description, props)
    if not task_id:
        if code == 1:
            raise errors.RelayDecodeError("Midjourney accepted the job but sent no task id")
        raise errors.RejectedError(description or f"code {code} without a task", code=code)
    status_text = as_str(props.get("status"))
    # new-api rewrites 21 to 1 except for INPAINT / CUSTOM_ZOOM, so a remix action that
    # waits for its window can arrive as code 1: the description still says so.
    needs_modal = "window confirm" in description.lower() or (
        code == 21 and status_text.upper() == MjStatus.MODAL
    )
    exists = code == 21 and not needs_modal
    return MjSubmit(
        task_id=task_id,
        code=code,
        description=description,
        queue_position=_queue_position(props, description) if code == 22 else None,
        final_prompt=opt_str(props.get("finalPrompt")),
        existing_status=MjStatus(status_text) if exists and status_text else None,
        existing_image_url=opt_str(props.get("imageUrl")) if exists else None,
        needs_modal=needs_modal,
    )


def _queue_position(props: dict[str, object], description: str) -> int | None:
    if props.get("numberOfQueues") is not None:
        return as_int(props.get("numberOfQueues"))
    match = _NUMBER.search(description)
    return int(match.group()) if match else None


def parse_ok(body: object) -> str:
    """A non-submit ``{"code": 1, "result": ...}`` answer (cancel, image seed) → result."""
    data = _checked(body)
    code = as_int(data.get("code"), -1)
    if code != 1:
        description = as_str(data.get("description")).strip()
        raise rejection(code, description, as_dict(data.get("properties")))
    return as_str(data.get("result"))


def parse_button(value: object) -> MjButton | None:
    data = as_dict(value)
    custom_id = as_str(data.get("customId"))
    if not custom_id:
        return None
    return MjButton(
        custom_id=custom_id,
        label=as_str(data.get("label")),
        emoji=as_str(data.get("emoji")),
        style=as_int(data.get("style"), 2),
    )


def parse_task(value: object) -> MjTask:
    data = as_dict(value)
    if (error := error_in_body(data)) is not None:
        raise error
    task_id = as_str(data.get("id"))
    if not task_id:
        raise errors.RelayDecodeError("the Midjourney task has no id")
    props = as_dict(data.get("properties"))
    raw_buttons = as_list(data.get("buttons"))  # none until the task has finished
    buttons = (
        tuple(b for b in map(parse_button, raw_buttons) if b is not None) if raw_buttons else ()
    )
    return MjTask(
        id=task_id,
        action=_action(as_str(data.get("action"), "UNKNOWN")),
        status=_status(as_str(data.get("status"), "UNKNOWN")),
        progress=percent(data.get("progress")),
        prompt=as_str(data.get("prompt")),
        prompt_en=as_str(data.get("promptEn")),
        description=as_str(data.get("description")),
        image_url=opt_str(data.get("imageUrl")),
        fail_reason=as_str(data.get("failReason")),
        buttons=buttons,
        final_prompt=opt_str(props.get("finalPrompt")),
        state=as_str(data.get("state")),
        custom_id=as_str(data.get("customId")),
        bot_type=as_str(first_present(data, "botType") or props.get("botType")),
        message_hash=opt_str(props.get("messageHash")) or _hash_from_buttons(buttons),
        submit_time_ms=epoch_ms(data.get("submitTime")),
        start_time_ms=epoch_ms(data.get("startTime")),
        finish_time_ms=epoch_ms(data.get("finishTime")),
        properties=MappingProxyType(props),
    )


def _hash_from_buttons(buttons: tuple[MjButton, ...]) -> str | None:
    """new-api drops ``messageHash``; every grid/upscale customId embeds it as a UUID."""
    for button in buttons:
        match = _UUID.search(button.custom_id)
        if match:
            return match.group()
    return None


def parse_task_list(body: object) -> tuple[MjTask, ...]:
    if (error := error_in_body(body)) is not None:
        raise error
    items = body if isinstance(body, list) else first_present(as_dict(body), "data", "content")
    return tuple(parse_task(item) for item in as_list(items) if as_str(as_dict(item).get("id")))


def parse_page(body: object, *, page_size: int) -> MjPage:
    if isinstance(body, list):
        tasks = parse_task_list(body)
        return MjPage(tasks, total=len(tasks), page_number=0, page_size=page_size, total_pages=1)
    data = as_dict(body)
    if (error := error_in_body(data)) is not None:
        raise error
    items = first_present(data, "content", "list", "items", "records", "data")
    if not isinstance(items, list):
        raise errors.RelayDecodeError("the task page has no task list")
    tasks = parse_task_list(items)
    size = as_int(data.get("size"), page_size) or page_size
    total = as_int(first_present(data, "totalElements", "total"), len(tasks))
    return MjPage(
        tasks=tasks,
        total=total,
        page_number=as_int(first_present(data, "number", "pageNumber")),
        page_size=size,
        total_pages=as_int(data.get("totalPages"), -(-total // size) if size else 1),
    )
