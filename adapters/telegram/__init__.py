"""The Telegram adapter (python-telegram-bot): ``TelegramAdapter(config, core, commands)``."""

from adapters.telegram.adapter import TelegramAdapter, TelegramSettings
from adapters.telegram.webhook import WebhookSettings

__all__ = ["TelegramAdapter", "TelegramSettings", "WebhookSettings"]
