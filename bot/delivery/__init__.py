"""Delivery: the outbox sender, the conversation store, the scheduler's pokes."""
