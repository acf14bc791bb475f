"""Kesu (客诉): a Telegram bot that runs a factory's customer-complaint procedure."""

import os

# PTB 22 moves time periods (RetryAfter.retry_after, ...) to timedelta and warns on
# every access while the old int form is in force; opt in to the new form.
os.environ.setdefault("PTB_TIMEDELTA", "1")
