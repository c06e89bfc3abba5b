"""The `mentorbot` command line.

Each command group lives in its own module under `bot/cli/` and exposes
`register(subparsers)`, which adds an argparse sub-parser whose `func` default is a
callable taking the parsed arguments and returning the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core.kernel.texts import clean_text

# Command group modules, in the order they appear in `mentorbot --help`.
COMMAND_MODULES = (
    "bot.cli.run",
    "bot.cli.db",
    "bot.cli.content",
    "bot.cli.faq",
    "bot.cli.people",
    "bot.cli.match",
    "bot.cli.coordinators",
    "sandbox.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorbot",
        description="A self-hosted Slack bot that runs a company's mentoring program.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a group not built yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, value in vars(args).items():  # text from a shell is cleaned like Slack's
        if isinstance(value, str):
            setattr(args, name, clean_text(value))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
