"""Matching use cases around the pure core in `core.matching`: shortlists sent to mentees,
requests to mentors, answers, reminders and expiry, do-not-pair and exclusions (tables
`shortlists`, `mentor_requests`, `pairs`, `match_exclusions`, `do_not_pair`,
`none_suit_feedback`)."""
