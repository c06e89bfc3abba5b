"""The matching run pauses Python's cyclic garbage collector and always gives it back.

`match` (and `candidate_pool`, and the program loading of previews) run with the collector off
for speed: afterwards it must be on again if it was on, still off if the caller had switched it
off, and on again after a run that failed, after nested pauses and after pauses of several
threads that overlap.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from core.matching import (
    MatchSettings,
    MenteeInput,
    MentorInput,
    Organisation,
    candidate_pool,
    gc_paused,
    match,
)

NAMES = {"c1": "Public speaking", "c2": "Negotiation"}


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def _run(names: dict[str, str] = NAMES, **kwargs: object) -> None:
    mentees = [MenteeInput("E1", ("c1",)), MenteeInput("E2", ("c1", "c2"))]
    mentors = [MentorInput("M1", frozenset({"c1"})), MentorInput("M2", frozenset({"c2"}))]
    match(mentees, mentors, Organisation({}), names=names, **kwargs)  # type: ignore[arg-type]


def test_the_collector_is_off_during_a_run_and_on_after_it() -> None:
    seen: list[bool] = []

    class Watching(dict[str, str]):
        def __getitem__(self, key: str) -> str:
            seen.append(gc.isenabled())
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            seen.append(gc.isenabled())
            return super().__contains__(key)

    mentees = [MenteeInput("E1", ("c1",))]
    mentors = [MentorInput("M1", frozenset({"c1"}))]
    result = match(mentees, mentors, Organisation({}), names=Watching(NAMES))
    assert result.shortlists["E1"][0].mentor_id == "M1"
    assert seen and not any(seen)  # looked up during the run, with the collector off
    assert gc.isenabled()
    candidate_pool(mentees, mentors, Organisation({}), names=NAMES)
    assert gc.isenabled()


def test_a_caller_who_switched_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    _run()
    assert not gc.isenabled()


def test_a_failed_run_gives_the_collector_back() -> None:
    with pytest.raises(ValueError):
        _run(names={})  # goal ids without display names are refused
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_and_overlapping_pauses_end_with_the_collector_on() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still open
        thread = threading.Thread(target=other)
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause is still open
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_settings_of_the_run_do_not_matter() -> None:
    _run(settings=MatchSettings(shortlist_size=1), solver="greedy")
    assert gc.isenabled()
