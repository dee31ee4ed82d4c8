"""Fakes of the services the bot talks to, served on loopback for real clients."""
