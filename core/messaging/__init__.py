"""Everything the bot sends on its own: the delivery ledger (exactly-once bookkeeping,
table `deliveries`), the planner that decides what became due, and the coordinators'
announcements, invitations and digests (their text in table `announcements`, their messages
in the ledger)."""
