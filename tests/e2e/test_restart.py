"""The operator restarts the bot while jobs run on both platforms: a new App on the same
SQLite file finishes them, each result reaches its own platform once, and buttons sent
before the restart keep working."""

from __future__ import annotations

from bot.config import AppConfig
from bot.sim import SimRelay
from tests.discord.test_buttons import buttons_of
from tests.e2e.harness import Operator
from tests.fakes.clock import start_app
from tests.fakes.telegram_api import ApiCall


def tg_result_photos(operator: Operator) -> list[ApiCall]:
    """sendPhoto calls of results (with buttons), not of status messages showing a preview."""
    return [c for c in operator.tg.sent("sendPhoto") if "reply_markup" in c.params]


async def test_restart_mid_job_delivers_once_and_old_buttons_still_work(
    operator: Operator, config: AppConfig, sim: SimRelay
) -> None:
    tg, dc = operator.tg, operator.dc
    # A finished grid on each platform: their buttons must survive the restart.
    await operator.tg_say("/imagine a lighthouse")
    await operator.dc_slash("imagine", {"prompt": "a windmill"})
    await operator.tick(3)
    [tg_grid] = operator.tg_results()
    [dc_grid] = operator.dc_results()

    # Two more jobs, still running when the bot goes down.
    await operator.tg_say("/imagine a castle in the fog")
    in_flight = await operator.dc_slash("imagine", {"prompt": "a ship at night"})
    running = sim.mj_task_ids()[2:]
    assert len(running) == 2
    for task_id in running:
        sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="40%")
    await operator.tick()
    # The progress came with a preview: Telegram replaced the text status with a photo.
    tg_status = tg.messages_in(operator.dm)[-1]
    assert tg_status.kind == "photo" and "40%" in tg_status.text, "progress before the restart"
    dc_status = in_flight.original_id or ""
    assert "40%" in operator.dc_text(dc_status), "Discord showed progress before the restart"
    await operator.app.stop()

    for task_id in running:  # the relay finished them while the bot was down
        sim.set_mj_task_status(task_id, "SUCCESS")
    operator.app = await start_app(config, operator.clock)
    await operator.tick(4)

    assert len(dc.identify) == 2 and len(tg.sent("getMe")) == 2, "both platforms reconnected"
    tg_results = operator.tg_results()
    dc_results = operator.dc_results()
    assert [m.text.count("a castle in the fog") > 0 for m in tg_results] == [False, True]
    assert [("a ship at night" in operator.dc_text(m["id"])) for m in dc_results] == [False, True]
    assert tg_results[-1].reply_to == tg_status.message_id
    assert dc_results[-1]["message_reference"]["message_id"] == dc_status
    assert "%" not in tg_status.text and "%" not in operator.dc_text(dc_status), "statuses finished"
    assert len(tg_result_photos(operator)) == 2, "each Telegram result was sent exactly once"
    assert len(dc.calls_to("POST", f"/channels/{dc.channel_id}/messages")) == 2
    assert len(sim.requests_to("/mj/submit/imagine")) == 4, "no command was replayed"

    # U1 on the grids from before the restart.
    await operator.tg_press(tg_grid, "U1")
    clicked = await dc.click(dc_grid["id"], buttons_of(dc_grid)["U1"]["custom_id"])
    await dc.wait_for("POST", f"/webhooks/*/{clicked.token}")
    actions = sim.requests_to("/mj/submit/action")
    assert len(actions) == 2
    assert all(a.json["customId"].startswith("MJ::JOB::upsample::1") for a in actions)
    await operator.tick(3)
    tg_upscaled = operator.tg_results()[-1]
    dc_upscaled = operator.dc_results()[-1]
    assert "a lighthouse" in tg_upscaled.text and "Custom Zoom" in " ".join(tg_upscaled.labels)
    assert "a windmill" in operator.dc_text(dc_upscaled["id"])
    assert "Custom Zoom" in " ".join(buttons_of(dc_upscaled))
    assert len(tg_result_photos(operator)) == 3 and len(operator.dc_results()) == 3
