"""Typed text during onboarding: a question, an unambiguous answer, or neither."""

from __future__ import annotations

from core.onboarding.understand import looks_like_question, understand, wants_to_join


def test_questions_are_recognised() -> None:
    assert looks_like_question("can my manager see what I write here?")
    assert looks_like_question("How long does it take")
    assert not looks_like_question("How long does it take", strict=True)  # free text
    assert not looks_like_question("Give a talk at the all-hands")


def test_unambiguous_choices_are_understood_and_ambiguous_ones_are_not() -> None:
    assert understand("role", "I want a mentor please", capacity_limit=3) == "mentee"
    assert understand("role", "I'd like to be a mentor", capacity_limit=3) == "mentor"
    assert understand("role", "both please", capacity_limit=3) == "both"
    assert understand("role", "hmm not sure", capacity_limit=3) is None
    goals = understand("goals", "public speaking and negotiation", capacity_limit=3)
    assert goals == ["public-speaking", "negotiation"]  # in the order named
    assert understand("goals", "something else entirely", capacity_limit=3) is None
    assert understand("format", "video works best", capacity_limit=3) == "remote"
    assert understand("format", "video or in person", capacity_limit=3) is None
    assert understand("languages", "English and Spanish", capacity_limit=3) == ["en", "es"]
    assert understand("capacity", "two", capacity_limit=3) == 2
    assert understand("capacity", "9", capacity_limit=3) is None


def test_saying_you_want_to_join_is_told_apart_from_a_greeting() -> None:
    assert wants_to_join("I'd like to join")
    assert wants_to_join("sign me up")
    assert not wants_to_join("hi")
    assert not wants_to_join("how do I join?")  # a question, answered as one
