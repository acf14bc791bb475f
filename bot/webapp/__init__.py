"""The dashboard as a Telegram Mini App (docs/dashboard.md): a page Kesu serves, and its
JSON endpoints, each request authenticated by Telegram's signed initData."""
