"""Scheduled work: APScheduler wakes an idempotent sweep each minute; the sweep plans what
became due and the deliverer sends what the delivery ledger holds."""
