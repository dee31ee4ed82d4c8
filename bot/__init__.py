"""relaybot: an AI relay API in Discord servers and Telegram chats."""

__version__ = "0.1.0"
