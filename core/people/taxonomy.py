"""The competency taxonomy (`content/competencies.yaml`).

Mentees choose goals from it and mentors choose the expertise they offer. The file holds a
list of groups, each with an id, a name and a list of competencies (id and name). Ids are
stable keys stored in the database, so they must be unique across the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TAXONOMY_FILE = "competencies.yaml"
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class TaxonomyError(ValueError):
    """The taxonomy file is missing or invalid. `problems` lists each problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid competency taxonomy:\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class Competency:
    id: str
    name: str
    group_id: str
    group_name: str


@dataclass(frozen=True)
class CompetencyGroup:
    id: str
    name: str
    competencies: tuple[Competency, ...]


@dataclass(frozen=True)
class Taxonomy:
    groups: tuple[CompetencyGroup, ...]
    competencies: tuple[Competency, ...] = field(init=False)
    by_id: Mapping[str, Competency] = field(init=False)

    def __post_init__(self) -> None:
        comps = tuple(c for g in self.groups for c in g.competencies)
        object.__setattr__(self, "competencies", comps)
        object.__setattr__(self, "by_id", {c.id: c for c in comps})

    def as_dicts(self) -> list[dict[str, str]]:
        """Competencies as plain dicts: id, name, group (the group id) and group_name."""
        return [
            {"id": c.id, "name": c.name, "group": c.group_id, "group_name": c.group_name}
            for c in self.competencies
        ]


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_taxonomy(data: Any, source: str = TAXONOMY_FILE) -> Taxonomy:
    """Validate already-loaded YAML data and build a `Taxonomy` (raises `TaxonomyError`)."""
    problems: list[str] = []
    if not isinstance(data, Mapping) or not isinstance(data.get("groups"), list):
        raise TaxonomyError([f"{source}: expected a mapping with a 'groups' list"])
    groups: list[CompetencyGroup] = []
    seen_groups: set[str] = set()
    seen: dict[str, str] = {}
    for gi, raw_group in enumerate(data["groups"], start=1):
        where = f"{source}: group #{gi}"
        if not isinstance(raw_group, Mapping):
            problems.append(f"{where}: expected a mapping with id, name and competencies")
            continue
        gid, gname = _text(raw_group.get("id")), _text(raw_group.get("name"))
        if gid is None or not _ID_RE.match(gid):
            problems.append(f"{where}: 'id' must be a lower-case-hyphenated id, got {gid!r}")
            continue
        where = f"{source}: group '{gid}'"
        if gid in seen_groups:
            problems.append(f"{where}: duplicate group id")
        seen_groups.add(gid)
        if gname is None:
            problems.append(f"{where}: 'name' must be a non-empty string")
            continue
        raw_comps = raw_group.get("competencies")
        if not isinstance(raw_comps, list) or not raw_comps:
            problems.append(f"{where}: 'competencies' must be a non-empty list")
            continue
        comps = _parse_competencies(raw_comps, where, gid, gname, seen, problems)
        groups.append(CompetencyGroup(gid, gname, tuple(comps)))
    if problems:
        raise TaxonomyError(problems)
    return Taxonomy(tuple(groups))


def _parse_competencies(
    raw_comps: list[Any],
    where: str,
    gid: str,
    gname: str,
    seen: dict[str, str],
    problems: list[str],
) -> list[Competency]:
    """The competencies of one group; `seen` maps competency ids to their group so far."""
    comps: list[Competency] = []
    for ci, raw in enumerate(raw_comps, start=1):
        cid = _text(raw.get("id")) if isinstance(raw, Mapping) else None
        cname = _text(raw.get("name")) if isinstance(raw, Mapping) else None
        if cid is None or not _ID_RE.match(cid):
            problems.append(f"{where}: competency #{ci}: 'id' must be a lower-case-hyphenated id")
            continue
        if cname is None:
            problems.append(f"{where}: competency '{cid}': 'name' must be a non-empty string")
            continue
        if cid in seen:
            problems.append(f"{where}: duplicate competency id '{cid}' (also in '{seen[cid]}')")
            continue
        seen[cid] = gid
        comps.append(Competency(cid, cname, gid, gname))
    return comps


def load_taxonomy(content_dir: Path) -> Taxonomy:
    """Load and validate `<content_dir>/competencies.yaml` (raises `TaxonomyError`)."""
    path = Path(content_dir) / TAXONOMY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError([f"{TAXONOMY_FILE}: file not found in {content_dir}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError([f"{TAXONOMY_FILE}: not valid YAML: {exc}"]) from None
    return parse_taxonomy(data)
