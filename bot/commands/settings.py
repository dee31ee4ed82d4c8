"""/settings: a user's defaults, shown with buttons to change them.

Settings are stored per user (``SettingScope.USER``, owner = user id) as strings. A
stored value that is no longer allowed (the operator changed ``[models]``) is ignored,
so readers always get a valid value. Other features read them with
:func:`load_user_settings` (``/tts`` the voice, ``/dalle`` the size, Midjourney the mode
and bot type, voice messages whether to chat). The language is read by the dispatcher
(:mod:`bot.core.language`) for every event; ``auto`` follows the user's app. The settings
are read once per event with the language and reach handlers as ``ctx.user_settings``.

Buttons: settings with few values cycle on each press; the others open a chooser
listing every value, with a button back to the overview.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from bot.config import AppConfig
from bot.core.context import BaseContext, ButtonContext, CommandContext
from bot.core.delivery import button_rows
from bot.core.dispatcher import ButtonRoute, CommandSpec
from bot.core.errors import UserError
from bot.core.language import AUTO, LANGUAGE_CHOICES, LANGUAGE_KEY, resolve_preferences
from bot.core.models import Button, Reply
from bot.lenient import as_dict, as_str
from bot.store.base import ButtonSpec, JsonValue, SettingScope

CHAT_MODEL_KEY: Final = "chat_model"
VOICE_KEY: Final = "voice"
MJ_MODE_KEY: Final = "mj_mode"
MJ_BOT_KEY: Final = "mj_bot"
DALLE_SIZE_KEY: Final = "dalle_size"
VOICE_CHAT_KEY: Final = "voice_chat"

VOICES: Final = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
DALLE_SIZES: Final = ("1024x1024", "1792x1024", "1024x1792")
MJ_MODES: Final = ("fast", "relax", "turbo")
MJ_BOTS: Final = ("mj", "niji")
ON_OFF: Final = ("on", "off")

SETTINGS_BUTTON: Final = "settings"
_CYCLE_AT_MOST: Final = 3  # more values than this open a chooser instead


@dataclass(frozen=True, slots=True)
class SettingDef:
    key: str
    choices: Callable[[AppConfig], tuple[str, ...]]
    default: Callable[[AppConfig], str]
    available: Callable[[AppConfig], bool] = lambda c: True
    # Values shown through the catalogue (``settings.value.<key>.<value>``), not as is.
    translated: bool = False
    # Always open a chooser listing the values, even when there are few.
    chooser: bool = False

    @property
    def label_key(self) -> str:
        return f"settings.label.{self.key}"

    def shown(self, ctx: BaseContext, value: str) -> str:
        return ctx.t(f"settings.value.{self.key}.{value}") if self.translated else value


SETTINGS: Final[tuple[SettingDef, ...]] = (
    # First: a user who cannot read the current language still finds it.
    SettingDef(LANGUAGE_KEY, lambda c: LANGUAGE_CHOICES, lambda c: AUTO,
               translated=True, chooser=True),
    SettingDef(CHAT_MODEL_KEY, lambda c: c.models.chat_choices, lambda c: c.models.chat),
    SettingDef(VOICE_KEY, lambda c: VOICES, lambda c: VOICES[0]),
    SettingDef(MJ_MODE_KEY, lambda c: MJ_MODES, lambda c: c.relay.mj_mode),
    SettingDef(MJ_BOT_KEY, lambda c: MJ_BOTS, lambda c: MJ_BOTS[0]),
    SettingDef(DALLE_SIZE_KEY, lambda c: DALLE_SIZES, lambda c: DALLE_SIZES[0]),
    # Only shown when the operator enabled voice chat (bot.voice_autochat).
    SettingDef(VOICE_CHAT_KEY, lambda c: ON_OFF, lambda c: "on",
               available=lambda c: c.bot.voice_autochat, translated=True),
)
_BY_KEY: Final = {s.key: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class UserSettings:
    """A user's effective defaults (stored value, else the configured default)."""

    values: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    @property
    def language(self) -> str:
        """``auto`` or a catalogue language."""
        return self.values[LANGUAGE_KEY]

    @property
    def chat_model(self) -> str:
        return self.values[CHAT_MODEL_KEY]

    @property
    def voice(self) -> str:
        return self.values[VOICE_KEY]

    @property
    def mj_mode(self) -> str:
        return self.values[MJ_MODE_KEY]

    @property
    def mj_bot(self) -> str:
        return self.values[MJ_BOT_KEY]

    @property
    def dalle_size(self) -> str:
        return self.values[DALLE_SIZE_KEY]

    @property
    def voice_chat(self) -> bool:
        return self.values[VOICE_CHAT_KEY] == "on"


def load_user_settings(ctx: BaseContext) -> UserSettings:
    """The user's effective settings, from what was read for this event (no store read)."""
    stored = ctx.user_settings
    config = ctx.services.config
    values: dict[str, str] = {}
    for setting in SETTINGS:
        raw = stored.get(setting.key)
        allowed = setting.choices(config)
        values[setting.key] = raw if isinstance(raw, str) and raw in allowed else (
            setting.default(config)
        )
    return UserSettings(values)


async def save_user_setting(ctx: BaseContext, key: str, value: str) -> None:
    """Store ``value`` for ``key``; raises :class:`UserError` when it is not allowed."""
    setting = _BY_KEY[key]
    allowed = setting.choices(ctx.services.config)
    if value not in allowed:
        raise UserError("input.unknown_choice", option=ctx.t(setting.label_key), value=value,
                        allowed=", ".join(allowed))
    store = ctx.services.store
    await store.set_setting(SettingScope.USER, ctx.chat.platform, ctx.user.id, key, value)


# --- the overview and the chooser ------------------------------------------------------


async def settings_command(ctx: CommandContext) -> None:
    text, buttons = await _overview(ctx)
    await ctx.reply(text, buttons=buttons)


async def _overview(ctx: BaseContext) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    current = load_user_settings(ctx)
    lines = [ctx.t("settings.header"), ""]
    specs: list[ButtonSpec] = []
    for setting in SETTINGS:
        if not setting.available(ctx.services.config):
            continue
        name, value = ctx.t(setting.label_key), setting.shown(ctx, current[setting.key])
        lines.append(ctx.t("settings.line", name=name, value=value))
        few = len(setting.choices(ctx.services.config)) <= _CYCLE_AT_MOST
        action = "cycle" if few and not setting.chooser else "open"
        label = ctx.t("settings.button", name=name, value=value)
        specs.append(_spec(ctx, label, action, setting.key))
    lines += ["", ctx.t("settings.footer")]
    return "\n".join(lines), await _rows(ctx, specs, per_row=2)


async def _chooser(ctx: BaseContext, setting: SettingDef) -> Reply:
    current = load_user_settings(ctx)[setting.key]
    specs = []
    for v in setting.choices(ctx.services.config):
        shown = setting.shown(ctx, v)
        label = ctx.t("settings.chosen", value=shown) if v == current else shown
        specs.append(_spec(ctx, label, "pick", setting.key, v))
    specs.append(_spec(ctx, ctx.t("settings.back"), "back", setting.key))
    text = ctx.t("settings.choose", name=ctx.t(setting.label_key),
                 value=setting.shown(ctx, current))
    return Reply(text, buttons=await _rows(ctx, specs, per_row=3))


def _spec(ctx: BaseContext, label: str, action: str, key: str, value: str = "") -> ButtonSpec:
    payload: JsonValue = {"owner": ctx.user.id, "action": action, "key": key, "value": value}
    return ButtonSpec(kind=SETTINGS_BUTTON, label=label, payload=payload)


async def _rows(
    ctx: BaseContext, specs: list[ButtonSpec], *, per_row: int
) -> tuple[tuple[Button, ...], ...]:
    keys = await ctx.services.store.create_buttons(None, specs)
    buttons = [Button(label=k.label, key=k.key) for k in keys]
    return button_rows(buttons, ctx.responder.limits, per_row=per_row)


async def settings_button(ctx: ButtonContext) -> None:
    payload = as_dict(ctx.button.payload)
    action, key = as_str(payload.get("action")), as_str(payload.get("key"))
    value = as_str(payload.get("value"))
    setting = _BY_KEY.get(key)
    if setting is None:
        raise UserError("generic.button_expired")
    if action == "open":
        await ctx.responder.edit(ctx.press.message, await _chooser(ctx, setting))
        return
    if action == "cycle":
        choices = setting.choices(ctx.services.config)
        current = load_user_settings(ctx)[setting.key]
        value = choices[(choices.index(current) + 1) % len(choices)]
        await save_user_setting(ctx, setting.key, value)
    elif action == "pick":
        await save_user_setting(ctx, setting.key, value)
    elif action != "back":
        raise UserError("generic.button_expired")
    if action != "back":  # show what is stored now, in the language just chosen
        store, default = ctx.services.store, ctx.services.config.bot.locale
        now = await resolve_preferences(store, ctx.user, ctx.chat, default)
        ctx = replace(ctx, locale=now.locale, user_settings=now.user_settings)
    text, buttons = await _overview(ctx)
    await ctx.responder.edit(ctx.press.message, Reply(text, buttons=buttons))


COMMANDS: Final = (CommandSpec("settings", settings_command),)
BUTTONS: Final = (ButtonRoute(SETTINGS_BUTTON, settings_button),)
