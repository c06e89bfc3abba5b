"""The kernel every capability builds on: database engine and sessions, the injected
clock, settings, user-facing texts, the working-time calendar, schema migrations, the
declarative base and shared column types, and Slack event idempotency."""
