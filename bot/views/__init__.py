"""Block Kit builders: pure functions, data in, Block Kit dicts out. No Slack calls here."""
