"""Size guard: estimate a run's peak memory from its sizes and refuse runs over the limit.

Owns :class:`WorkEstimate`, :class:`MatchTooLarge`, :func:`estimate_work` and the check every
entry point makes before allocating anything large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.match_engine import candidates
from core.match_engine.constraints import MatchSettings
from core.match_engine.inputs import MenteeInput, MentorInput

# Bytes per pruned arc (its mentee, mentor and key, their sorted copies, the flow network's
# arc) and per person (inputs, indexes, candidates with their reasons), measured with margin.
_BYTES_PER_ARC = 150
_BYTES_PER_PERSON = 2048
_BYTES_PER_DENSE_CELL = 24  # the int32/int64 temporaries of one dense block
# Per slot of the mentors' running top lists: the slot itself, a batch of as many buffered
# candidates, and the temporaries of merging the two (concatenation, sort order, sorted copy).
_BYTES_PER_TOP_SLOT = 256


@dataclass(frozen=True)
class WorkEstimate:
    """What one run would do, from the sizes alone (see :func:`estimate_work`)."""

    mentees: int
    mentors_with_room: int
    pairs: int  # mentees x mentors with room: the cells scored before pruning
    arcs: int  # upper bound on the candidate arcs kept after pruning
    memory_mb: int  # estimated peak memory of the run


class MatchTooLarge(ValueError):
    """A run too large for its memory limit, refused before anything large was allocated."""

    def __init__(self, estimate: WorkEstimate, limit_mb: int) -> None:
        self.estimate = estimate
        self.limit_mb = limit_mb
        super().__init__(
            f"matching {estimate.mentees:,} mentees against {estimate.mentors_with_room:,} "
            f"mentors with room in one run ({estimate.pairs:,} possible pairs) would need about "
            f"{estimate.memory_mb:,} MB of memory, more than the limit of {limit_mb:,} MB. "
            "Match smaller groups in separate runs (for example a program per department or "
            "region), or raise the limit if the machine has that much memory to spare."
        )


def estimate_work(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    settings: MatchSettings | None = None,
) -> WorkEstimate:
    """Estimate a run's size and peak memory without allocating anything large.

    Terms (see ``generate``): the chunks in flight (two being scored, the rest finished and
    waiting to be merged), each about one million cells; the mentors' running top lists,
    ``mentors x t_max`` slots with their merge buffer; the pruned arcs (at most P per mentee
    plus t_max per mentor) and the flow network; and the people themselves. Every term is
    linear in the number of mentees or of mentors, not in their product.
    """
    settings = settings or MatchSettings()
    n = len(mentees)
    ma = sum(1 for q in mentors if q.remaining_capacity > 0)
    pairs = n * ma
    exposure = max((q.remaining_capacity for q in mentors), default=0) * settings.exposure_factor
    t_max = settings.mentor_side_prune_factor * max(exposure, 0) + settings.shortlist_size
    if not settings.mentor_side_prune_factor:
        t_max = 0
    arcs = min(pairs, n * min(settings.candidates_per_mentee_prune, ma) + ma * t_max)
    cells = min(pairs, max(candidates.CHUNK_CELLS, ma))  # one chunk: at least one mentee's row
    dense = (2 * candidates.WORKERS + 1) * cells * _BYTES_PER_DENSE_CELL
    tops = ma * t_max * _BYTES_PER_TOP_SLOT if pairs else 0
    total = dense + tops + arcs * _BYTES_PER_ARC + (n + len(mentors)) * _BYTES_PER_PERSON
    return WorkEstimate(n, ma, pairs, arcs, -(-total // 2**20))


def check_size(
    mentees: Sequence[MenteeInput], mentors: Sequence[MentorInput], settings: MatchSettings
) -> None:
    estimate = estimate_work(mentees, mentors, settings)
    if estimate.memory_mb > settings.max_memory_mb:
        raise MatchTooLarge(estimate, settings.max_memory_mb)
