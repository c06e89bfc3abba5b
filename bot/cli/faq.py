"""`mentorbot faq ask "QUESTION"`: ask the FAQ from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.cli.common import fail
from core.faq.retrieval import HYBRID_METHOD, LEXICAL_METHOD, FaqIndex, FaqQuestionError
from core.faq.store import (
    AUDIENCES,
    FaqContentError,
    FaqRenderError,
    FaqStore,
    load_program_defaults,
)
from core.kernel.paths import content_dir
from core.kernel.settings import SettingsError, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("faq", help="ask the FAQ")
    actions = parser.add_subparsers(dest="faq_command", metavar="ACTION", required=True)
    ask = actions.add_parser("ask", help="answer a question from the FAQ content")
    ask.add_argument("question", help="the question, in plain words (quote it)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--audience", choices=AUDIENCES, default=None, help="who is asking")
    _add_common(ask)
    ask.set_defaults(func=_ask)
    _register_eval(actions)
    _register_gaps(actions)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--method",
        choices=(HYBRID_METHOD, LEXICAL_METHOD),
        default=None,
        help="retrieval method (default: $MENTORBOT_FAQ_METHOD, else hybrid when installed)",
    )
    parser.add_argument(
        "--content-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="content folder (default: $MENTORBOT_CONTENT_DIR or the repo's content/)",
    )


def _load_index(args: argparse.Namespace) -> tuple[FaqStore, FaqIndex] | int:
    """The content store and one index over it, or an exit code after a one-line error."""
    cdir = Path(args.content_dir) if args.content_dir else content_dir()
    method = args.method
    if method is None:
        try:
            method = load_settings().faq_method_name
        except SettingsError as exc:
            return fail(str(exc))
    try:
        store = FaqStore.load(cdir)
        return store, FaqIndex.build(store, load_program_defaults(cdir), method=method)
    except (FaqContentError, FaqRenderError) as exc:
        return fail(f"{exc}\n(run `mentorbot content check` for details)", 1)
    except ValueError as exc:
        return fail(str(exc))


def _ask(args: argparse.Namespace) -> int:
    loaded = _load_index(args)
    if isinstance(loaded, int):
        return loaded
    store, index = loaded
    try:
        result = index.ask(args.question, audience=args.audience)
    except FaqQuestionError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    if result.band == "answer" and result.entry is not None:
        print(f"{result.entry.title}  [{result.entry_id}, confidence {result.score:.2f}]\n")
        print(result.answer)
    elif result.band == "suggest":
        print(f"Not sure (confidence {result.score:.2f}). Did you mean:")
        for entry_id in result.suggestions:
            print(f"  - {store.get(entry_id).title}  [{entry_id}]")
    else:
        print(
            f"I don't know that one (confidence {result.score:.2f}). "
            "A program coordinator can help."
        )
    return 0


# --- `mentorbot faq eval FILE.jsonl`: re-measure the FAQ on a labelled question file ------
# The targets (docs/faq.md, "Measuring it yourself"), printed beside each figure.
TARGETS = {"top1": (">=", 0.95), "answered_wrong": ("<=", 0.03), "out_answered": ("<=", 0.05)}


def _register_eval(actions: argparse._SubParsersAction) -> None:
    ev = actions.add_parser(
        "eval", help="measure the FAQ on a JSON-lines file of questions with expected entries"
    )
    ev.add_argument(
        "file",
        type=Path,
        help='one JSON object per line: {"q": "...", "expect": "entry-id"}, '
        "expect null for off-topic",
    )
    ev.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ev.add_argument("--misses", action="store_true", help="list the questions it got wrong")
    _add_common(ev)
    ev.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> int:
    from core.faq.evaluation import evaluate, load_jsonl

    cdir = Path(args.content_dir) if args.content_dir else content_dir()
    try:  # the file is checked before the (slower) index is built
        items = load_jsonl(args.file, FaqStore.load(cdir).ids)
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror or exc}")
    except FaqContentError as exc:
        return fail(f"{exc}\n(run `mentorbot content check` for details)", 1)
    except ValueError as exc:
        return fail(str(exc))
    loaded = _load_index(args)  # one index answers the whole file
    if isinstance(loaded, int):
        return loaded
    _, index = loaded
    try:
        report = evaluate(index, items)
    except FaqQuestionError as exc:
        return fail(f"{args.file}: {exc}")
    figures = {"method": index.method, "questions": len(items), **report.as_dict()}
    if args.json:
        print(json.dumps(figures))
    else:
        _print_figures(args.file, figures)
    if args.misses:
        for question, expected, top, band in report.misses:
            print(f"  {band:8} expected={expected:30} top={top:30} {question}")
    return 0


def _print_figures(path: Path, f: dict[str, Any]) -> None:
    print(
        f"{path}: {f['questions']} questions ({f['n_in']} in scope, {f['n_out']} off-topic), "
        f"method {f['method']}"
    )
    rows = (
        ("top-1", "top1", "n_in"),
        ("confident-wrong", "answered_wrong", "n_in"),
        ("off-topic answered", "out_answered", "n_out"),
        ("answered right", "answered_correct", "n_in"),
        ("suggested right", "suggest_hit", "n_in"),
        ("in-scope unknown", "in_unknown", "n_in"),
    )
    for label, key, n_key in rows:
        value, n = float(f[key]), int(f[n_key])
        if not n:
            print(f"  {label:20} -      (no such questions)")
            continue
        target = ""
        if key in TARGETS:
            op, bound = TARGETS[key]
            met = value >= bound if op == ">=" else value <= bound
            target = f"target {op} {bound:.2f}: {'met' if met else 'MISSED'}"
        print(f"  {label:20} {value:.3f}  ({round(value * n)} of {n})  {target}")
    print(f"  latency per question: p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms")


# --- `mentorbot faq gaps`: what the FAQ could not answer (added with the Slack FAQ) ----------
def _register_gaps(actions: argparse._SubParsersAction) -> None:
    gaps = actions.add_parser(
        "gaps", help="unanswered questions and 'not helpful' votes, newest first"
    )
    gaps.add_argument("--json", action="store_true", help="print a JSON array")
    gaps.add_argument("--team", default=None, metavar="TEAM_ID", help="one workspace only")
    gaps.add_argument("--days", type=int, default=None, help="only the last DAYS days")
    gaps.add_argument("--limit", type=int, default=None, help="at most this many")
    gaps.set_defaults(func=_gaps)


def _gaps(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.cli.common import settings_or_exit
    from core.faq.use_cases import gaps
    from core.kernel.clock import SystemClock
    from core.kernel.db import Database

    if (args.days is not None and args.days < 1) or (args.limit is not None and args.limit < 1):
        return fail("--days and --limit must be 1 or more")
    settings = settings_or_exit()
    db = Database(settings.database_url)
    since = SystemClock().now() - timedelta(days=args.days) if args.days else None
    try:
        found = gaps(db, team_id=args.team, since=since, limit=args.limit)
    except Exception as exc:  # a clear line rather than a traceback
        return fail(f"could not read the database: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()
    if args.json:
        print(json.dumps([gap.to_dict() for gap in found], ensure_ascii=False, indent=2))
        return 0
    for gap in found:
        when = gap.logged_at.strftime("%Y-%m-%d %H:%M")
        question = json.dumps(gap.question, ensure_ascii=False) if gap.question else "-"
        print(f"{when}  {gap.reason:<11}  {gap.entry_id or '-':<32}  {question}")
    print(f"{len(found)} gap(s)")
    return 0
