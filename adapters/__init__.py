"""Platform adapters: Discord, Telegram and the console. Only they import platform libraries."""
