"""`mentorbot faq ask "QUESTION"`: ask the FAQ from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import fail
from core.faq.retrieval import FaqIndex, FaqQuestionError
from core.faq.store import (
    AUDIENCES,
    FaqContentError,
    FaqRenderError,
    FaqStore,
    load_program_defaults,
)
from core.paths import content_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("faq", help="ask the FAQ")
    actions = parser.add_subparsers(dest="faq_command", metavar="ACTION", required=True)
    ask = actions.add_parser("ask", help="answer a question from the FAQ content")
    ask.add_argument("question", help="the question, in plain words (quote it)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--audience", choices=AUDIENCES, default=None, help="who is asking")
    ask.add_argument(
        "--content-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="content folder (default: $MENTORBOT_CONTENT_DIR or the repo's content/)",
    )
    ask.set_defaults(func=_ask)


def _ask(args: argparse.Namespace) -> int:
    cdir = Path(args.content_dir) if args.content_dir else content_dir()
    try:
        store = FaqStore.load(cdir)
        index = FaqIndex.build(store, load_program_defaults(cdir))
    except (FaqContentError, FaqRenderError) as exc:
        return fail(f"{exc}\n(run `mentorbot content check` for details)", 1)
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
