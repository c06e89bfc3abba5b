"""`mentorbot content check|competencies`: validate and inspect the content folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import fail
from core.faq.check import check_content
from core.faq.store import FAQ_DIR
from core.kernel.content_yaml import string_problems, template_problems
from core.kernel.paths import content_dir
from core.people.taxonomy import TaxonomyError, load_taxonomy


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("content", help="check and inspect the content folder")
    actions = parser.add_subparsers(dest="content_command", metavar="ACTION", required=True)

    check = actions.add_parser(
        "check", help="validate FAQ entries, program defaults and the competency taxonomy"
    )
    _content_dir_option(check)
    check.set_defaults(func=_check)

    comps = actions.add_parser("competencies", help="list the competency taxonomy")
    comps.add_argument("--json", action="store_true", help="print a JSON list of objects")
    _content_dir_option(comps)
    comps.set_defaults(func=_competencies)


def _content_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="content folder (default: $MENTORBOT_CONTENT_DIR or the repo's content/)",
    )


def _dir(args: argparse.Namespace) -> Path:
    return Path(args.content_dir) if args.content_dir else content_dir()


def _check(args: argparse.Namespace) -> int:
    cdir = _dir(args)
    if not cdir.is_dir():
        return fail(f"content folder not found: {cdir}")
    problems = check_content(cdir) + string_problems(cdir) + template_problems(cdir)
    n_competencies = 0
    try:
        n_competencies = len(load_taxonomy(cdir).competencies)
    except TaxonomyError as exc:
        problems.extend(exc.problems)
    if problems:
        for line in problems:
            print(line)
        return 1
    n_entries = len(list((cdir / FAQ_DIR).glob("*.md")))
    print(f"content OK: {n_entries} FAQ entries, {n_competencies} competencies in {cdir}")
    return 0


def _competencies(args: argparse.Namespace) -> int:
    try:
        taxonomy = load_taxonomy(_dir(args))
    except TaxonomyError as exc:
        return fail(str(exc), 1)
    if args.json:
        print(json.dumps(taxonomy.as_dicts(), ensure_ascii=False, indent=2))
        return 0
    for group in taxonomy.groups:
        print(f"{group.name} ({group.id})")
        for comp in group.competencies:
            print(f"  - {comp.name} ({comp.id})")
    return 0
