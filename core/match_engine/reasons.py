"""Reasons: why a mentor was suggested, as codes with parameters and as rendered text.

Owns the reason templates (:class:`ReasonTemplates`, compiled in a sandboxed Jinja2
environment), rendering them into results (:func:`render_reasons`, :func:`render_result`),
and :class:`ReasonFactory`, which builds the reasons of each chosen candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from core.match_engine.constants import PRACTICAL_POINTS, STRIDE
from core.match_engine.outputs import (
    CANDIDATE_REASON_CODES,
    UNMATCHED_REASON_CODES,
    Candidate,
    MatchResult,
    Reason,
    Unmatched,
)
from core.match_engine.prepare import Prepared
from core.match_engine.timezones import standard_offset_minutes


def _join_and(items: Iterable[Any], word: str = "and") -> str:
    values = [str(i) for i in items]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {word} " + values[-1]


def _plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


class ReasonTemplates:
    """Compiled reason templates: reason code -> Jinja2 string (plain text, not escaped).

    Built from the mapping in `content/templates/matching_reasons.yaml` (the caller reads the
    file). Every code in CANDIDATE_REASON_CODES and UNMATCHED_REASON_CODES must be present.
    Filters available: ``join_and`` and ``plural`` (the same as the app's text renderer).
    """

    def __init__(self, templates: Mapping[str, str]) -> None:
        missing = sorted((CANDIDATE_REASON_CODES | UNMATCHED_REASON_CODES) - set(templates))
        if missing:
            raise ValueError(f"reason templates are missing these codes: {', '.join(missing)}")
        env = SandboxedEnvironment(
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters.update(join_and=_join_and, plural=_plural)
        self._compiled = {}
        for code, source in templates.items():
            if not isinstance(source, str):
                raise ValueError(f"reason template {code!r} must be a string")
            try:
                self._compiled[code] = env.from_string(source)
            except TemplateError as exc:
                raise ValueError(f"reason template {code!r} is not valid Jinja2: {exc}") from exc

    def render(self, code: str, params: Mapping[str, Any]) -> str:
        try:
            template = self._compiled[code]
        except KeyError:
            raise ValueError(f"no reason template for code {code!r}") from None
        try:
            return template.render(**params).strip()
        except TemplateError as exc:
            raise ValueError(f"reason template {code!r} failed to render: {exc}") from exc


def compiled_templates(templates: ReasonTemplates | Mapping[str, str]) -> ReasonTemplates:
    return templates if isinstance(templates, ReasonTemplates) else ReasonTemplates(templates)


def render_reasons(
    candidate: Candidate, templates: ReasonTemplates | Mapping[str, str]
) -> tuple[Reason, ...]:
    """The candidate's reasons with ``text`` rendered from the templates."""
    tpl = compiled_templates(templates)
    return tuple(replace(r, text=tpl.render(r.code, r.params)) for r in candidate.reasons)


def render_result(
    result: MatchResult, templates: ReasonTemplates | Mapping[str, str]
) -> MatchResult:
    """A copy of ``result`` with every reason text (candidates and unmatched) rendered."""
    tpl = compiled_templates(templates)
    cache: dict[int, Reason] = {}
    texts: dict[Any, str] = {}

    def text(code: str, params: Mapping[str, Any]) -> str:
        # Equal (code, params) render to equal texts: render each distinct one once.
        try:
            key: Any = (code, tuple(sorted(params.items())))
            hash(key)
        except TypeError:
            return tpl.render(code, params)
        done = texts.get(key)
        if done is None:
            done = texts[key] = tpl.render(code, params)
        return done

    def one(reason: Reason) -> Reason:
        # Reasons are shared between candidates; build each distinct object once.
        done = cache.get(id(reason))
        if done is None:
            done = Reason(reason.code, reason.params, text(reason.code, reason.params))
            cache[id(reason)] = done
        return done

    # Plain constructors rather than dataclasses.replace (several times slower per object);
    # every field is passed on (tests/unit/test_matching_render.py compares with replace).
    shortlists = {
        mentee: [
            Candidate(
                c.mentor_id,
                c.score,
                c.developmental_fit,
                c.practical_fit,
                tuple([one(r) for r in c.reasons]),
                c.tier,
                c.goals_covered,
            )
            for c in cands
        ]
        for mentee, cands in result.shortlists.items()
    }
    unmatched = [
        Unmatched(u.mentee_id, u.reason_code, text(u.reason_code, u.params), u.params)
        for u in result.unmatched
    ]
    return MatchResult(shortlists=shortlists, unmatched=unmatched, stats=result.stats)


def _num(x: float) -> int | float:
    """2.0 -> 2, 5.5 -> 5.5 (for friendly template output)."""
    r = round(x, 2)
    return int(r) if r == int(r) else r


def _reason(code: str, **params: Any) -> Reason:
    return Reason(code, MappingProxyType(params))


class ReasonFactory:
    """Builds Reason objects for chosen candidates; equal reasons are shared objects."""

    def __init__(self, prep: Prepared, language_names: Mapping[str, str] | None) -> None:
        self.prep = prep
        self.language_names = language_names or {}
        self._goals: dict[tuple[tuple[str, ...], tuple[bool, ...]], tuple[Any, ...]] = {}
        self._parts: dict[tuple[Any, ...], tuple[Reason, ...]] = {}

    def _language(self, code: str) -> str:
        return self.language_names.get(code) or self.language_names.get(code.casefold()) or code

    def _goal_part(
        self, goals: tuple[str, ...], expertise: frozenset[str]
    ) -> tuple[tuple[Reason, ...], tuple[str, ...]]:
        # Keyed by which goals are covered, not by the whole expertise: far more hits.
        key = (goals, tuple(g in expertise for g in goals))
        hit = self._goals.get(key)
        if hit is None:
            names = self.prep.names
            covered = tuple(g for g in goals if g in expertise)
            missed = tuple(g for g in goals if g not in expertise)
            reasons = [
                Reason(
                    "covers_goals",
                    MappingProxyType(
                        {
                            "goals": tuple(names[g] for g in covered),
                            "goal_ids": covered,
                            "covered": len(covered),
                            "total": len(goals),
                            "top_goal": bool(covered) and covered[0] == goals[0],
                        }
                    ),
                )
            ]
            if missed:
                reasons.append(
                    Reason(
                        "misses_goals",
                        MappingProxyType(
                            {"goals": tuple(names[g] for g in missed), "goal_ids": missed}
                        ),
                    )
                )
            hit = self._goals[key] = (tuple(reasons), covered)
        return hit[0], hit[1]

    def _cached(
        self, key: tuple[Any, ...], make: Callable[[], tuple[Reason, ...]]
    ) -> tuple[Reason, ...]:
        hit = self._parts.get(key)
        if hit is None:
            hit = self._parts[key] = make()
        return hit

    def _practical_part(self, i: int, j: int) -> tuple[Reason, ...]:
        prep = self.prep
        mentee, mentor = prep.mentees[i], prep.mentors[j]
        se, sm = int(prep.practical.sched_e[i]), int(prep.practical.sched_m[j])
        return (
            self._cached(("tz", mentee.timezone, mentor.timezone, se, sm), lambda: self._tz(i, j))
            + self._cached(
                ("lang", mentee.languages, mentor.languages), lambda: self._languages(i, j)
            )
            + self._cached(
                (
                    "fmt",
                    mentee.meeting_format,
                    mentor.meeting_format,
                    mentee.location,
                    mentor.location,
                ),
                lambda: self._format(i, j),
            )
            + self._cached(
                ("dept", mentee.department, mentor.department), lambda: self._department(i, j)
            )
        )

    def _tz(self, i: int, j: int) -> tuple[Reason, ...]:
        prep = self.prep
        mentee, mentor = prep.mentees[i], prep.mentors[j]
        if mentee.timezone is None or mentor.timezone is None:
            return ()
        year = prep.settings.reference_year
        diff = standard_offset_minutes(mentor.timezone, year) - standard_offset_minutes(
            mentee.timezone, year
        )
        overlap = _num(
            int(prep.practical.overlap_min[prep.practical.sched_e[i], prep.practical.sched_m[j]])
            / 60
        )
        if diff == 0:
            return (_reason("same_timezone", overlap_hours=overlap),)
        code = "tz_ahead" if diff > 0 else "tz_behind"
        return (_reason(code, hours=_num(abs(diff) / 60), overlap_hours=overlap),)

    def _languages(self, i: int, j: int) -> tuple[Reason, ...]:
        mentee, mentor = self.prep.mentees[i], self.prep.mentors[j]
        le = {x.strip().casefold(): x for x in mentee.languages}
        lm = {x.strip().casefold() for x in mentor.languages}
        if not le or not lm:
            return ()
        shared = sorted(le[k] for k in le.keys() & lm)
        if not shared:
            return (_reason("no_shared_language"),)
        names = tuple(self._language(x) for x in shared)
        return (_reason("same_language", languages=names, language_codes=tuple(shared)),)

    def _format(self, i: int, j: int) -> tuple[Reason, ...]:
        mentee, mentor = self.prep.mentees[i], self.prep.mentors[j]
        fe, fm = mentee.meeting_format, mentor.meeting_format
        compatible = {fe, fm} != {"remote", "in_person"}
        agreed = fe if fe == fm or fm == "either" else fm
        out = [
            _reason(
                "meeting_format",
                compatible=compatible,
                format=agreed if compatible else fm,
                mentee_format=fe,
                mentor_format=fm,
            )
        ]
        if compatible and "in_person" in (fe, fm) and mentee.location and mentor.location:
            same_place = mentee.location.strip().casefold() == mentor.location.strip().casefold()
            code = "same_location" if same_place else "different_location"
            out.append(_reason(code, location=mentor.location))
        return tuple(out)

    def _department(self, i: int, j: int) -> tuple[Reason, ...]:
        mentee, mentor = self.prep.mentees[i], self.prep.mentors[j]
        pref = self.prep.settings.department_preference
        if pref == "any" or not mentee.department or not mentor.department:
            return ()
        same = mentee.department == mentor.department
        code = "same_department" if same else "other_department"
        return (_reason(code, department=mentor.department, preferred=same == (pref == "same")),)

    def candidate(self, i: int, j: int, key: int, dev: float) -> Candidate:
        prep = self.prep
        mentee, mentor = prep.mentees[i], prep.mentors[j]
        goal_reasons, covered = self._goal_part(mentee.goals, mentor.expertise)
        tier, points = divmod(key, STRIDE)
        return Candidate(
            mentor_id=mentor.id,
            score=round((tier + points / STRIDE) / prep.n_tiers, 6),
            developmental_fit=round(dev, 9),
            practical_fit=points / PRACTICAL_POINTS,
            reasons=goal_reasons + self._practical_part(i, j),
            tier=tier,
            goals_covered=covered,
        )
