"""A mentoring relationship once a pair exists: learning agreement, meetings, pauses,
check-ins, help and rematch requests, and how a relationship ends (tables `relationships`,
`agreements`, `meetings`, `meeting_notes`, `pauses`, `checkins`, `help_requests`,
`rematch_requests`)."""
