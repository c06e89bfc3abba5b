"""Every action id and callback id the app uses, in one place. Stable, namespaced strings."""

from __future__ import annotations

# Onboarding conversation (DM)
ONBOARDING_ROLE = "onboarding.role.select"
ONBOARDING_GOALS = "onboarding.goals.select"
ONBOARDING_PRIORITY = "onboarding.goal_priority.select"
ONBOARDING_EXPERTISE = "onboarding.expertise.select"
ONBOARDING_CAPACITY = "onboarding.capacity.select"
ONBOARDING_FORMAT = "onboarding.format.select"
ONBOARDING_LANGUAGES = "onboarding.languages.select"
ONBOARDING_NOTES_SKIP = "onboarding.notes.skip"
ONBOARDING_CONFIDENTIALITY = "onboarding.confidentiality.ack"
ONBOARDING_CONFIRM = "onboarding.review.confirm"
ONBOARDING_EDIT = "onboarding.review.edit"

# App Home
HOME_JOIN = "home.join"
HOME_CONTINUE = "home.continue"
HOME_EDIT_PROFILE = "home.profile.edit"

# Profile modal, and which program's profile to edit (someone in several programs)
PROFILE_CHOOSE = "profile.program.choose"
PROFILE_MODAL = "profile.edit.modal"
PROFILE_ROLE = "profile.role"
PROFILE_GOAL = "profile.goal.{n}"
PROFILE_SUCCESS = "profile.success.{n}"
PROFILE_PRIORITY = "profile.priority.{n}"
PROFILE_EXPERTISE = "profile.expertise"
PROFILE_CAPACITY = "profile.capacity"
PROFILE_FORMAT = "profile.format"
PROFILE_LANGUAGES = "profile.languages"
PROFILE_NOTES = "profile.notes"

SLASH_COMMAND = "/mentoring"

# FAQ answers (DMs, mentions, /mentoring ask, App Home "Browse topics")
FAQ_HELPFUL_YES = "faq.feedback.yes"
FAQ_HELPFUL_NO = "faq.feedback.no"
FAQ_TOPIC_PREFIX = "faq.topic."  # + entry id: a related topic or a "Did you mean" choice
FAQ_NONE_MATCHED = "faq.suggest.none"
FAQ_ESCALATE = "faq.escalate.confirm"
FAQ_ESCALATE_DECLINE = "faq.escalate.decline"
FAQ_BROWSE = "faq.browse.select"
FAQ_BROWSE_MODAL = "faq.browse.modal"

# Matching: the mentee's shortlist, the mentor's request, and their modals
MATCH_REQUEST = "matching.shortlist.request"  # + ".<n>": the n-th candidate's button
MATCH_NONE_SUIT = "matching.shortlist.none_suit"
MATCH_ACCEPT = "matching.request.accept"
MATCH_DECLINE = "matching.request.decline"
MATCH_DECLINE_MODAL = "matching.decline.modal"
MATCH_DECLINE_REASON = "matching.decline.reason"
MATCH_NONE_SUIT_MODAL = "matching.none_suit.modal"
MATCH_NONE_SUIT_CHOICE = "matching.none_suit.choice"
MATCH_NONE_SUIT_TEXT = "matching.none_suit.text"
MATCH_WAITLIST = "matching.unmatched.waitlist"  # no mentor fits: tell me when one does
MATCH_ASK_COORDINATOR = "matching.unmatched.coordinator"  # no mentor fits: ask a coordinator
MATCH_CHANGE_GOALS = "matching.unmatched.goals"  # no mentor fits: edit my profile
MATCH_HELP_DONE = "matching.help.done"  # a coordinator marks a mentee's help request handled

# Everyone's /mentoring self-service (confirmations)
EVERYONE_LEAVE_CONFIRM = "everyone.leave.confirm"
EVERYONE_LEAVE_PROGRAM = "everyone.leave.program"  # leave one program (someone in several)
EVERYONE_LEAVE_CANCEL = "everyone.leave.cancel"
EVERYONE_FORGET_CONFIRM = "everyone.forget.confirm"
EVERYONE_FORGET_CANCEL = "everyone.forget.cancel"

# Coordinator console (every button and modal is re-authorised against the database)
COORD_PROGRAM_SETTINGS = "coordinator.program.settings"
COORD_SETTINGS_MODAL = "coordinator.settings.modal"
COORD_ANNOUNCE_MODAL = "coordinator.announce.modal"
COORD_ANNOUNCE_TEXT = "coordinator.announce.text"
COORD_DIGEST_STATS = "coordinator.digest.stats"
COORD_DIGEST_UNMATCHED = "coordinator.digest.unmatched"
COORD_DIGEST_AT_RISK = "coordinator.digest.at_risk"
# A row of the unmatched / at-risk list: suggest mentors to that mentee, send them a check-in.
COORD_LIST_SUGGEST = "coordinator.list.suggest"
COORD_LIST_CHECK_IN = "coordinator.list.check_in"
# A coordinator's match, answered by each of the two people
COORD_MATCH_ACCEPT = "coordinator.match.accept"
COORD_MATCH_DECLINE = "coordinator.match.decline"
# A coordinator's matching run for a whole program: confirm (send the shortlists) or cancel
COORD_MATCH_RUN_SEND = "coordinator.match_run.send"
COORD_MATCH_RUN_CANCEL = "coordinator.match_run.cancel"
# Inputs of the settings modal, one per setting key
COORD_SETTINGS_FIELD = "coordinator.settings.{key}"

# Mentoring relationship: learning agreement, meetings, check-ins, endings
REL_AGREEMENT_OPEN = "relationship.agreement.open"
REL_AGREEMENT_MODAL = "relationship.agreement.modal"
REL_AGREEMENT_GOAL = "relationship.agreement.goal.{n}"
REL_AGREEMENT_SUCCESS = "relationship.agreement.success.{n}"
REL_AGREEMENT_CADENCE = "relationship.agreement.cadence"
REL_AGREEMENT_FORMAT = "relationship.agreement.format"
REL_AGREEMENT_DURATION = "relationship.agreement.duration"
REL_AGREEMENT_RULES = "relationship.agreement.ground_rules"
REL_AGREEMENT_CONFIRM = "relationship.agreement.confirm"
REL_AGREEMENT_SUGGEST = "relationship.agreement.suggest"
REL_SUGGEST_MODAL = "relationship.agreement.suggest.modal"
REL_SUGGEST_TEXT = "relationship.agreement.suggest.text"
REL_MET = "relationship.meeting.met"
REL_MET_MODAL = "relationship.meeting.met.modal"
REL_MET_DATE = "relationship.meeting.met.date"
REL_RHYTHM = "relationship.meeting.rhythm"
REL_RHYTHM_MODAL = "relationship.meeting.rhythm.modal"
REL_RHYTHM_CADENCE = "relationship.meeting.rhythm.cadence"
REL_NUDGE_PAUSE = "relationship.meeting.pause"
REL_NUDGE_HELP = "relationship.meeting.help"
REL_SCHEDULED = "relationship.meeting.scheduled"
REL_SNOOZE = "relationship.meeting.snooze"
REL_NOTE_OPEN = "relationship.meeting.note"
REL_NOTE_MODAL = "relationship.meeting.note.modal"
REL_NOTE_TEXT = "relationship.meeting.note.text"
REL_CHECKIN_OPEN = "relationship.checkin.open"
REL_CHECKIN_MODAL = "relationship.checkin.modal"
REL_CHECKIN_GOAL = "relationship.checkin.goal.{n}"
REL_CHECKIN_NOTE = "relationship.checkin.note"
REL_CHECKIN_HEALTH = "relationship.checkin.health"
REL_CHECKIN_SHARE = "relationship.checkin.share"
REL_HELP = "relationship.help.coordinator"
REL_END = "relationship.end.no_fault"
REL_COMPLETE = "relationship.term.complete"
REL_EXTEND = "relationship.term.extend"
REL_REMATCH = "relationship.rematch.request"
REL_RESUME = "relationship.pause.resume"
