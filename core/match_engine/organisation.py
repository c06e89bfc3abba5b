"""Who manages whom: the reporting forest as Euler-tour intervals.

Owns :class:`ManagerGraph` (the compiled forest with O(1), vectorisable "same reporting line"
tests) and :class:`Organisation` (the caller's manager mapping, compiled once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from core.match_engine.constants import Int
from core.match_engine.inputs import check_id


class ManagerGraph:
    """A compiled reporting forest.

    Every person gets an Euler-tour interval ``[tin, tout)``: X is X's own ancestor or above Y
    in the reporting line iff ``tin[X] <= tin[Y] < tout[X]``. Building is O(people); each test
    is O(1) and vectorises with numpy.
    """

    __slots__ = ("_ids", "_index", "_parent", "tin", "tout")

    def __init__(self, managers: Mapping[str, str | None]) -> None:
        index: dict[str, int] = {}
        ids: list[str] = []
        for person in managers:
            check_id("person", person)
            index[person] = len(ids)
            ids.append(person)
        parent: list[int] = [-1] * len(ids)
        for person, manager in managers.items():
            if manager is None or manager == "":
                continue
            if not isinstance(manager, str):
                raise ValueError(f"the manager of {person!r} must be a person id or None")
            m = index.get(manager)
            if m is None:  # a manager we know nothing else about: a root
                m = index[manager] = len(ids)
                ids.append(manager)
                parent.append(-1)
            parent[index[person]] = m
        self._ids = ids
        self._index = index
        self._parent = parent
        self.tin, self.tout = self._euler(ids, parent)

    @staticmethod
    def _euler(
        ids: Sequence[str], parent: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        n = len(ids)
        children: list[list[int]] = [[] for _ in range(n)]
        roots: list[int] = []
        for child, p in enumerate(parent):
            (roots if p < 0 else children[p]).append(child)
        tin = [-1] * n
        tout = [-1] * n
        clock = 0
        for root in roots:
            tin[root] = clock
            clock += 1
            stack: list[tuple[int, int]] = [(root, 0)]
            while stack:
                node, k = stack[-1]
                kids = children[node]
                if k < len(kids):
                    stack[-1] = (node, k + 1)
                    child = kids[k]
                    tin[child] = clock
                    clock += 1
                    stack.append((child, 0))
                else:
                    tout[node] = clock
                    stack.pop()
        if clock != n:
            ManagerGraph._raise_cycle(ids, parent, tin)
        return np.asarray(tin, dtype=np.int64), np.asarray(tout, dtype=np.int64)

    @staticmethod
    def _raise_cycle(ids: Sequence[str], parent: Sequence[int], tin: Sequence[int]) -> None:
        stuck = [i for i in range(len(ids)) if tin[i] < 0]
        node = stuck[0]
        seen: dict[int, int] = {}
        path: list[int] = []
        while node not in seen:
            seen[node] = len(path)
            path.append(node)
            node = parent[node]
        cycle = [ids[i] for i in path[seen[node] :]]
        shown = " -> ".join([*cycle[:10], *(["..."] if len(cycle) > 10 else []), cycle[0]])
        raise ValueError(
            f"The manager data has a reporting cycle: {shown}. Every chain of managers must "
            f"end with someone who has no manager; correct the manager of one of these people "
            f"({len(stuck)} people are affected)."
        )

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, person: object) -> bool:
        return person in self._index

    def managers_of(self, person: str) -> tuple[str, ...]:
        """The whole chain of managers above ``person``, nearest first."""
        i = self._index.get(person)
        chain: list[str] = []
        while i is not None and self._parent[i] >= 0:
            i = self._parent[i]
            chain.append(self._ids[i])
        return tuple(chain)

    def in_reporting_line(self, a: str, b: str) -> bool:
        """True if a is above b, b is above a, or a == b. Unknown people are unrelated."""
        if a == b:
            return True
        i, j = self._index.get(a), self._index.get(b)
        if i is None or j is None:
            return False
        ti, tj = self.tin[i], self.tin[j]
        return bool(ti <= tj < self.tout[i] or tj <= ti < self.tout[j])

    def intervals(
        self, people: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(tin, tout) for each person; people not in the graph get fresh isolated intervals."""
        tin = np.empty(len(people), dtype=np.int64)
        tout = np.empty(len(people), dtype=np.int64)
        extra: dict[str, int] = {}
        n = len(self._ids)
        for k, person in enumerate(people):
            i = self._index.get(person)
            if i is None:
                if person not in extra:
                    extra[person] = n + len(extra)
                tin[k] = extra[person]
                tout[k] = extra[person] + 1
            else:
                tin[k] = self.tin[i]
                tout[k] = self.tout[i]
        return tin, tout

    def line_pairs(self, a_ids: Sequence[str], b_ids: Sequence[str]) -> tuple[Int, Int]:
        """Every (i, j) where ``a_ids[i]`` and ``b_ids[j]`` share a reporting line.

        That is: the same person, or one anywhere above the other. Vectorised on the Euler
        intervals: the people below X are those whose ``tin`` lies in ``[tin[X], tout[X])``, a
        range found by binary search in the sorted ``tin`` of the other side. The number of
        pairs is at most depth * (len(a_ids) + len(b_ids)).
        """
        both = self.intervals([*a_ids, *b_ids])
        na = len(a_ids)
        tin_a, tout_a = both[0][:na], both[1][:na]
        tin_b, tout_b = both[0][na:], both[1][na:]
        # b at or above a (includes the same person), then a strictly above b.
        i1, j1 = _within(tin_a, tin_b, tout_b, strict=False)
        j2, i2 = _within(tin_b, tin_a, tout_a, strict=True)
        return np.concatenate([i1, i2]), np.concatenate([j1, j2])


def _within(tin_x: Int, lo_y: Int, hi_y: Int, *, strict: bool) -> tuple[Int, Int]:
    """Pairs (x, y) with lo_y[y] <= tin_x[x] < hi_y[y] (lo_y[y] < tin_x[x] when strict)."""
    order = np.argsort(tin_x, kind="stable")
    sorted_tin = tin_x[order]
    lo = np.searchsorted(sorted_tin, lo_y, side="right" if strict else "left")
    hi = np.searchsorted(sorted_tin, hi_y, side="left")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    y = np.repeat(np.arange(lo_y.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.repeat(lo - starts, counts) + np.arange(total, dtype=np.int64)
    return order[pos].astype(np.int64), y


@dataclass(frozen=True)
class Organisation:
    """Who manages whom: ``managers[person] = manager id or None``.

    It should cover everybody (mentees, mentors and people who are only managers). A manager
    id that is not itself a key is treated as a root (someone with no manager); a mentee or
    mentor missing from the mapping has no known manager and no known reports. A cycle raises
    ValueError naming the people in it, at construction.
    """

    managers: Mapping[str, str | None]
    graph: ManagerGraph = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph", ManagerGraph(self.managers))
