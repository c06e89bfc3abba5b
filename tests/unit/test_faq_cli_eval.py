"""`mentorbot faq eval FILE.jsonl`: coordinators re-measure the FAQ on their own labelled
questions, through the CLI entry point (docs/faq.md, "Measuring it yourself")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def faq_eval(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(path: Path, *args: str) -> tuple[int, str, str]:
        code = main(["faq", "eval", str(path), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [
    json.dumps({"q": "what can you do", "expect": "bot-commands"}),
    json.dumps({"q": "can my boss read what I tell my mentor?", "expect": "confidentiality"}),
    "",  # blank lines are skipped
    json.dumps({"q": "how do i take a break for a few weeks", "expect": "pause-participation"}),
    json.dumps({"q": "what's the wifi password", "expect": None}),
    json.dumps({"q": "where is the canteen", "expect": "none", "kind": "off-topic"}),
]


def test_a_good_file_prints_the_three_figures(tmp_path: Path, faq_eval: Run) -> None:
    code, out, err = faq_eval(write(tmp_path, GOOD))
    assert code == 0, err
    assert "5 questions (3 in scope, 2 off-topic)" in out
    assert "top-1                1.000  (3 of 3)  target >= 0.95: met" in out
    assert "confident-wrong      0.000  (0 of 3)" in out
    assert "off-topic answered   0.000  (0 of 2)" in out
    assert "latency per question" in out


def test_json_output_counts_misses(tmp_path: Path, faq_eval: Run) -> None:
    # A deliberately wrong label: the figures must show it, not hide it.
    lines = [json.dumps({"q": "how do i take a break for a few weeks", "expect": "my-data"})]
    code, out, err = faq_eval(write(tmp_path, lines), "--json", "--method", "lexical")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["method"] == "lexical"
    assert figures["questions"] == 1 and figures["n_in"] == 1 and figures["n_out"] == 0
    assert figures["top1"] == 0.0


def test_a_bad_line_is_named_and_fails(tmp_path: Path, faq_eval: Run) -> None:
    path = write(tmp_path, [GOOD[0], '{"q": "how do I join", "expect": ', GOOD[1]])
    code, out, err = faq_eval(path)
    assert code != 0
    assert f"{path}, line 2: not valid JSON" in err
    assert out == ""


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('["not", "an object"]', "expected a JSON object"),
        ('{"expect": "how-to-join"}', '"q" must be a non-empty question'),
        ('{"q": "   ", "expect": "how-to-join"}', '"q" must be a non-empty question'),
        ('{"q": "how do I join"}', '"expect" is missing'),
        (json.dumps({"q": "x" * 1001, "expect": None}), "the question is over 1000 characters"),
    ],
)
def test_malformed_objects_are_named(
    tmp_path: Path, faq_eval: Run, line: str, problem: str
) -> None:
    code, _, err = faq_eval(write(tmp_path, [line]))
    assert code != 0
    assert f"line 1: {problem}" in err


def test_an_unknown_entry_id_is_named(tmp_path: Path, faq_eval: Run) -> None:
    path = write(tmp_path, [GOOD[0], json.dumps({"q": "how do I join", "expect": "how-to-jion"})])
    code, _, err = faq_eval(path)
    assert code != 0
    assert f"{path}, line 2: unknown entry id 'how-to-jion'" in err


def test_an_empty_file_is_an_error(tmp_path: Path, faq_eval: Run) -> None:
    path = write(tmp_path, ["", "  "])
    code, out, err = faq_eval(path)
    assert code != 0
    assert "no questions" in err and out == ""


def test_a_missing_file_is_an_error(tmp_path: Path, faq_eval: Run) -> None:
    code, _, err = faq_eval(tmp_path / "nope.jsonl")
    assert code != 0
    assert "cannot read" in err


def test_the_shipped_blind_set_is_a_valid_file(faq_eval: Run) -> None:
    """The labelled blind set ships in the format coordinators use."""
    path = Path(__file__).resolve().parents[1] / "faq_heldout_blind.jsonl"
    code, out, err = faq_eval(path, "--json", "--method", "lexical")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["questions"] >= 200 and figures["n_out"] >= 40
