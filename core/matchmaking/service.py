"""Matching use cases: shortlists, requests, answers, reminders and expiry. No Slack.

This module is the public face of `core.matchmaking`: callers import the use cases from here
(`from core.matchmaking import service as svc`); they live in the modules beside it:

- :mod:`.outcomes`: the plain results returned to the Slack layer, constants and errors;
- :mod:`.loading`: reading a program into the matching core's inputs, and running the core;
- :mod:`.shortlists`: a coordinator's run, its preview and dry run, one mentee's list;
- :mod:`.requests`: a mentee asks a mentor from their list, or says none of them suit;
- :mod:`.answers`: a mentor accepts or declines; cancellation and expiry;
- :mod:`.expiry`: when a request is reminded and expires, and what the sweeps find due;
- :mod:`.run_delivery`: a run's shortlists as delivery-ledger rows, rebuilt when sent;
- :mod:`.home`: what App Home shows, unreachable people, small listings;
- :mod:`.lookups`: small reads and guards the request and answer use cases share;
- :mod:`.use_cases`: the same use cases as the Slack side calls them, each opening its own
  transaction on the `Database` and returning the outcome to render (`bot.flows.matching`).

Each public function here is one use case and runs inside the caller's transaction
(`Database.transaction()`): it reads what it needs, changes state with conditional updates whose
row count is checked, and returns plain data (no live ORM objects) for the Slack layer to show.

The pure matching core (`core.matching`) decides who fits; these modules feed it from the
database and keep the hard rules that depend on state:

- only confirmed, active, unpaused, reachable participants of the program take part;
- a mentor's load is their active pairs plus pending requests; a request re-checks it with the
  mentor's participation row locked (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's
  `BEGIN IMMEDIATE` already serialises writers), so two mentees cannot both take a last slot;
- a mentee has at most one pending request (a partial unique index backs this up);
- answers are conditional updates `WHERE status = 'pending'`: a double click, or a click on an
  expired or superseded request, changes nothing.

Working days: reminders and expiry count the program's `working_days` in the mentor's time
zone (the program's `default_timezone` when unknown), from the injected clock, on the same
calendar as every other schedule (`core.kernel.worktime`); a reminder falls inside the
mentor's working hours.
"""

from __future__ import annotations

from core.matchmaking.answers import (
    accept_request,
    cancel_request,
    closed_request,
    decline_request,
    expire_request,
    record_pair_intro,
    request_for_mentor,
)
from core.matchmaking.expiry import (
    REMINDER_KIND,
    due_expiries,
    due_reminders,
    plan_reminders,
    reminder_to_send,
    request_deadlines,
)
from core.matchmaking.home import (
    HomeMatching,
    home_matching,
    in_several_programs,
    mark_unreachable,
    program_names,
    sorted_people,
    team_of,
    workspaces,
)
from core.matchmaking.loading import competency_names, match_settings, reason_templates
from core.matchmaking.lookups import mentor_load
from core.matchmaking.outcomes import (
    DECLINE_REASON_MAX_CHARS,
    EXCLUDED_DECLINED,
    EXCLUDED_EXPIRED,
    EXCLUDED_NONE_SUIT,
    MEMORY_LIMIT_SETTING,
    NONE_SUIT_REASONS,
    NONE_SUIT_TEXT_MAX_CHARS,
    PRIORITY_WEIGHTS,
    SHORTLIST_CLOSED,
    SHORTLIST_OPEN,
    AnswerOutcome,
    AnswerStatus,
    GoalInfo,
    MatchingError,
    MatchingTooLarge,
    MessageRef,
    NoneSuitOutcome,
    PersonRef,
    PreviewResult,
    ReminderDue,
    RequestOutcome,
    RequestStatus,
    ShortlistCandidate,
    ShortlistOutcome,
)
from core.matchmaking.requests import (
    none_suit,
    record_request_message,
    request_mentor,
    shortlist_is_open,
)
from core.matchmaking.run_delivery import (
    SHORTLIST_KIND,
    SHORTLIST_NONE_KIND,
    enqueue_run_shortlists,
    no_mentor_to_send,
    run_delivery_counts,
    shortlist_to_send,
)
from core.matchmaking.shortlists import (
    RunPlan,
    close_shortlist,
    find_program,
    plan_matching,
    preview,
    record_shortlist_message,
    run_matching,
    shortlist_for_mentee,
    shortlist_for_user,
)
from core.matchmaking.waitlist import (
    HELP_KIND,
    REQUEST_KIND,
    HelpToSend,
    WaitKind,
    WaitOutcome,
    close_help,
    help_to_send,
    open_kinds,
    plan_unsent_requests,
    request_to_send,
)
from core.matchmaking.waitlist import check as check_waitlist
from core.matchmaking.waitlist import join as join_waitlist

__all__ = [
    "HELP_KIND",
    "REQUEST_KIND",
    "HelpToSend",
    "WaitKind",
    "WaitOutcome",
    "check_waitlist",
    "close_help",
    "help_to_send",
    "join_waitlist",
    "open_kinds",
    "plan_unsent_requests",
    "request_to_send",
    "REMINDER_KIND",
    "SHORTLIST_KIND",
    "SHORTLIST_NONE_KIND",
    "DECLINE_REASON_MAX_CHARS",
    "EXCLUDED_DECLINED",
    "EXCLUDED_EXPIRED",
    "EXCLUDED_NONE_SUIT",
    "MEMORY_LIMIT_SETTING",
    "NONE_SUIT_REASONS",
    "NONE_SUIT_TEXT_MAX_CHARS",
    "PRIORITY_WEIGHTS",
    "SHORTLIST_CLOSED",
    "SHORTLIST_OPEN",
    "AnswerOutcome",
    "AnswerStatus",
    "GoalInfo",
    "HomeMatching",
    "MatchingError",
    "MatchingTooLarge",
    "MessageRef",
    "NoneSuitOutcome",
    "PersonRef",
    "PreviewResult",
    "ReminderDue",
    "RequestOutcome",
    "RequestStatus",
    "RunPlan",
    "ShortlistCandidate",
    "ShortlistOutcome",
    "accept_request",
    "cancel_request",
    "closed_request",
    "close_shortlist",
    "competency_names",
    "decline_request",
    "due_expiries",
    "due_reminders",
    "enqueue_run_shortlists",
    "expire_request",
    "find_program",
    "home_matching",
    "in_several_programs",
    "mark_unreachable",
    "match_settings",
    "mentor_load",
    "no_mentor_to_send",
    "none_suit",
    "plan_matching",
    "plan_reminders",
    "preview",
    "program_names",
    "reason_templates",
    "record_pair_intro",
    "record_request_message",
    "record_shortlist_message",
    "reminder_to_send",
    "request_deadlines",
    "request_for_mentor",
    "request_mentor",
    "run_delivery_counts",
    "run_matching",
    "shortlist_for_mentee",
    "shortlist_for_user",
    "shortlist_is_open",
    "shortlist_to_send",
    "sorted_people",
    "team_of",
    "workspaces",
]
