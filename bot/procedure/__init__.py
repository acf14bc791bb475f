"""The complaint procedure as plain Python: no Telegram, no SQL.

Everything here can be tested with a fake clock and plain values.
"""
