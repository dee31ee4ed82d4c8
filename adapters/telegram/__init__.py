"""The Telegram adapter (python-telegram-bot); :func:`build` is its entry point."""

from adapters.telegram.adapter import TelegramAdapter, TelegramSettings, build
from adapters.telegram.webhook import WebhookSettings

__all__ = ["TelegramAdapter", "TelegramSettings", "WebhookSettings", "build"]
