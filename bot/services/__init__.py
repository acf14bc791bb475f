"""Use cases: one unit of work per update, typed input, view models out. No Telegram here."""
