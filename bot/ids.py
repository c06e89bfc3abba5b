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

# Profile modal
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
