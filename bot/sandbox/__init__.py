"""Kesu without Telegram: the Bot API emulator (and, later, the sandbox page)."""
