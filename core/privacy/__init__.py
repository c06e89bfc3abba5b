"""Privacy by construction: the k rule for aggregates, "my data", "forget me" and leaving."""
