"""FAQ content: `content check` on real and deliberately broken content, and the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from core.faq.check import ANSWER_BUDGET, check_content
from core.faq.retrieval import FaqIndex
from core.faq.store import SYNONYMS_FILE, FaqContentError, FaqStore, load_program_defaults
from core.kernel.paths import CONTENT_DIR_ENV, content_dir
from core.kernel.texts import mrkdwn
from core.people.profiles import languages
from core.people.taxonomy import TaxonomyError, load_taxonomy

REAL = content_dir()

REQUIRED_IDS = [
    "what-is-mentoring",
    "mentoring-vs-coaching",
    "mentoring-vs-managing",
    "types-of-mentoring",
    "group-mentoring",
    "reverse-mentoring",
    "peer-mentoring",
    "mentor-role",
    "mentee-role",
    "coordinator-role",
    "who-can-join",
    "how-to-join",
    "program-steps",
    "program-objectives",
    "setting-goals",
    "change-goals",
    "how-matching-works",
    "why-not-my-manager",
    "choosing-a-mentor",
    "mentor-not-responding",
    "mentor-declined",
    "becoming-a-mentor",
    "mentor-capacity",
    "learning-agreement",
    "first-meeting",
    "meeting-frequency",
    "meeting-topics",
    "remote-mentoring",
    "time-commitment",
    "check-ins",
    "reminders",
    "pause-participation",
    "relationship-not-working",
    "ending-the-relationship",
    "confidentiality",
    "my-data",
    "giving-feedback",
    "getting-the-most-from-mentoring",
    "mentoring-resources",
    "contact-a-coordinator",
    "bot-commands",
    "sponsorship-vs-mentoring",
]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the real content folder to break."""
    dest = tmp_path / "content"
    shutil.copytree(REAL / "faq", dest / "faq")
    for name in ("program_defaults.yaml", "competencies.yaml"):
        shutil.copy(REAL / name, dest / name)
    return dest


def write_entry(content: Path, stem: str, front: str, body: str = "An answer.") -> Path:
    path = content / "faq" / f"{stem}.md"
    path.write_text(f"---\n{front.strip()}\n---\n{body}\n", encoding="utf-8")
    return path


def entry_front(entry_id: str, **overrides: object) -> str:
    data: dict[str, object] = {
        "id": entry_id,
        "title": "A test entry",
        "questions": [f"What is test entry {entry_id}?", f"Tell me about {entry_id}"],
        "tags": ["test"],
        "audience": "everyone",
        "related": [],
    }
    data.update(overrides)
    return yaml.safe_dump(data, sort_keys=False)


# --- the real content ---------------------------------------------------------------------


def test_real_content_passes_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_content(REAL) == []
    code, out, _ = run_cli(capsys, "content", "check")
    assert code == 0
    assert re.fullmatch(r"content OK: \d+ FAQ entries, \d+ competencies in .+\n", out)


def test_real_content_has_every_required_entry_and_renders_within_budget() -> None:
    store = FaqStore.load(REAL)
    assert set(REQUIRED_IDS) <= set(store.ids)
    program = load_program_defaults(REAL)
    for entry in store:
        text = entry.render(program)
        assert 0 < len(text) <= ANSWER_BUDGET, entry.id
        assert "{{" not in text and "{%" not in text, entry.id
        assert "**" not in text, entry.id  # Markdown bold was converted


def test_program_defaults_have_the_documented_keys() -> None:
    defaults = load_program_defaults(REAL)
    assert defaults["shortlist_size"] == 3
    assert defaults["request_reminder_days"] == 2
    assert defaults["request_expiry_days"] == 4
    assert defaults["working_hours"] == {"start": 9, "end": 17}
    assert defaults["coordinators"] == []
    assert defaults["materials_url"] == ""
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in defaults)


# --- broken copies: each problem gives the right `file: problem` line --------------------------


def check_lines(capsys: pytest.CaptureFixture[str], content: Path, faq: bool = True) -> list[str]:
    code, out, _ = run_cli(capsys, "content", "check", "--content-dir", str(content))
    assert code == 1
    lines = out.splitlines()
    if faq:  # the CLI prints exactly the problems check_content finds
        assert lines == check_content(content)
    return lines


def test_missing_front_matter_opening(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    (content / "faq" / "how-to-join.md").write_text("id: how-to-join\nJust text\n")
    assert check_lines(capsys, content) == [
        "faq/how-to-join.md: must start with a '---' line opening the YAML front matter"
    ]


def test_invalid_yaml_front_matter(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    write_entry(content, "zz-broken", "id: zz-broken\ntitle: [unclosed")
    lines = check_lines(capsys, content)
    assert len(lines) == 1
    assert lines[0].startswith("faq/zz-broken.md: front matter is not valid YAML:")


def test_missing_key_wrong_audience_and_id_mismatch(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    write_entry(
        content, "zz-a", 'id: zz-a\ntitle: T\nquestions: ["One?", "Two?"]\naudience: everyone'
    )
    write_entry(content, "zz-b", entry_front("zz-b", audience="managers"))
    write_entry(content, "zz-c", entry_front("something-else"))
    lines = check_lines(capsys, content)
    assert "faq/zz-a.md: front matter is missing required key(s): tags, related" in lines
    assert (
        "faq/zz-b.md: 'audience' must be one of everyone, mentee, mentor, coordinator, "
        "got 'managers'"
    ) in lines
    assert "faq/zz-c.md: id 'something-else' does not match the file name 'zz-c'" in lines


def test_unquoted_yaml_no_is_reported_with_a_hint(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    write_entry(content, "zz-tags", entry_front("zz-tags").replace("- test", "- no"))
    (line,) = check_lines(capsys, content)
    assert line == (
        "faq/zz-tags.md: 'tags' item 1 must be a non-empty string, got False "
        "(YAML reads yes/no/on/off/numbers as non-text: quote it)"
    )


def test_unquoted_language_codes_and_template_values_are_named_with_their_line(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    languages = content / "languages.yaml"
    (content / "templates").mkdir()
    languages.write_text(
        (REAL / "languages.yaml")
        .read_text(encoding="utf-8")
        .replace('"no": Norwegian', "no: Norwegian"),
        encoding="utf-8",
    )
    (content / "templates" / "zz.yaml").write_text(
        "answers:\n  ok: 'quoted is fine'\n  yes_word: yes\n  version: 1.10\n",
        encoding="utf-8",
    )
    lines = check_lines(capsys, content, faq=False)
    number = next(
        i for i, text in enumerate(languages.read_text().splitlines(), 1) if text.startswith("no:")
    )
    assert lines == [
        f"languages.yaml:{number}: the key of 'no' is read as bool ('no'); put it in quotes",
        "templates/zz.yaml:3: the value of 'answers.yes_word' is read as bool ('yes'); "
        "put it in quotes",
        "templates/zz.yaml:4: the value of 'answers.version' is read as float ('1.10'); "
        "put it in quotes",
    ]


def test_a_line_break_that_a_block_tag_would_eat_is_reported(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    (content / "templates").mkdir()
    (content / "templates" / "zz.yaml").write_text(
        'card:\n  kept: "*{{ n }}*{% if t %}, {{ t }}{% endif +%}\\n{{ r }}"\n'
        '  eaten: "*{{ n }}*{% if t %}, {{ t }}{% endif %}\\n{{ r }}"\n',
        encoding="utf-8",
    )
    assert check_lines(capsys, content, faq=False) == [
        "templates/zz.yaml:3: in 'card.eaten' the line break after a '%}' is removed when "
        "the text is shown; write '+%}' to keep it"
    ]


def test_a_mentor_title_and_the_reasons_are_on_separate_lines() -> None:
    text = mrkdwn("matching.shortlist.candidate", name="Ana", title="VP Sales", reasons=["A", "B"])
    assert text.splitlines() == ["*Ana*, VP Sales", "• A", "• B"]


def test_norwegian_is_a_language_people_can_choose() -> None:
    assert languages()["no"] == "Norwegian"
    assert all(isinstance(code, str) and len(code) == 2 for code in languages())


def test_duplicate_id(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    write_entry(content, "reminders-copy", entry_front("reminders"))
    lines = check_lines(capsys, content)
    assert (
        "faq/reminders-copy.md: id 'reminders' does not match the file name 'reminders-copy'"
        in (lines)
    )
    assert "faq/reminders.md: duplicate id 'reminders' (also in faq/reminders-copy.md)" in lines


def test_unknown_related_id(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    write_entry(content, "zz-rel", entry_front("zz-rel", related=["how-to-join", "no-such-entry"]))
    assert check_lines(capsys, content) == [
        "faq/zz-rel.md: 'related' id 'no-such-entry' does not exist"
    ]


def test_duplicate_question_ignores_case_and_punctuation(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    front = entry_front("zz-dup", questions=["WHERE do I register!!", "Another question here?"])
    write_entry(content, "zz-dup", front)
    assert check_lines(capsys, content) == [
        "faq/zz-dup.md: question 'WHERE do I register!!' is also asked in faq/how-to-join.md"
    ]


def test_template_errors(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    write_entry(content, "zz-undef", entry_front("zz-undef"), "Hello {{ program.no_such_key }}.")
    write_entry(content, "zz-syntax", entry_front("zz-syntax"), "Hello {% if %} there.")
    lines = check_lines(capsys, content)
    assert (
        "faq/zz-undef.md: unknown template value: 'dict object' has no attribute "
        "'no_such_key' (rendering with program_defaults.yaml)"
    ) in lines
    assert any(
        line.startswith("faq/zz-syntax.md: template syntax error on answer line 1:")
        for line in lines
    )
    assert len(lines) == 2


def test_answer_too_long(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    body = "\n\n".join(["A sentence that takes up some room in the answer. " * 5] * 12)
    write_entry(content, "zz-long", entry_front("zz-long"), body)
    (line,) = check_lines(capsys, content)
    assert re.fullmatch(
        rf"faq/zz-long\.md: the rendered answer is \d+ characters; keep it within "
        rf"{ANSWER_BUDGET} so it fits in one Slack section",
        line,
    )


def test_broken_program_defaults(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    (content / "program_defaults.yaml").write_text("- just\n- a list\n")
    assert check_lines(capsys, content) == ["program_defaults.yaml: expected a mapping of settings"]


def test_missing_default_setting_breaks_the_templates_that_use_it(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    defaults = load_program_defaults(content)
    del defaults["shortlist_size"]
    (content / "program_defaults.yaml").write_text(yaml.safe_dump(defaults))
    lines = check_lines(capsys, content)
    assert lines and all("'shortlist_size'" in line for line in lines)
    assert "faq/choosing-a-mentor.md" in "\n".join(lines)


# --- the synonym table and other "_" files ---------------------------------------------------


def test_real_synonym_table_is_loaded() -> None:
    store = FaqStore.load(REAL)
    assert (REAL / "faq" / SYNONYMS_FILE).is_file()
    assert len(store.synonyms) >= 10
    assert (
        store.synonyms.canonical_text("my boss wants me to quit") == "my manager wants me to leave"
    )


def test_underscore_files_are_not_entries_for_store_and_check(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    # A coordinator's notes next to the entries: not an entry, no front matter needed.
    (content / "faq" / "_notes.md").write_text("Ideas for new entries, no front matter.\n")
    (content / "faq" / "_draft.yaml").write_text("not: [checked\n")
    before = len(FaqStore.load(REAL))
    assert len(FaqStore.load(content)) == before
    assert check_content(content) == []
    code, out, _ = run_cli(capsys, "content", "check", "--content-dir", str(content))
    assert code == 0, out


def test_missing_synonym_table_is_fine(content: Path) -> None:
    (content / "faq" / SYNONYMS_FILE).unlink()
    assert check_content(content) == []
    store = FaqStore.load(content)
    assert len(store.synonyms) == 0
    assert store.synonyms.canonical_text("my boss") == "my boss"


def test_broken_synonym_table_is_reported_by_check_and_load(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    (content / "faq" / SYNONYMS_FILE).write_text(
        "manager: [boss, supervisor]\n"
        "leave: [quit, boss]\n"  # boss listed twice
        "pause: [manager]\n"  # a head used as an alternative
        "meeting: [the]\n"  # a stop word on its own
        "end: end\n"  # not a list
        "xylophone: [marimba]\n"  # no entry uses the head
        "join: [yes]\n"  # YAML reads yes as true
        "feedback: [feedback]\n"  # lists itself
    )
    rel = f"faq/{SYNONYMS_FILE}"
    expected = [
        f"{rel}: 'boss' is listed under both 'manager' and 'leave'",
        f"{rel}: 'manager' (under 'pause') is also a head word; merge the two lists",
        f"{rel}: 'meeting': 'the' is a common word the search ignores; use it inside a phrase instead",
        f"{rel}: 'end' must have a non-empty list of words people use",
        f"{rel}: head 'xylophone' is not used in any FAQ entry, so mapping words to it changes "
        "nothing; use a word the entries use",
        f"{rel}: 'join': True must be a word or phrase (YAML reads yes/no/on/off/numbers as "
        "non-text: quote it)",
        f"{rel}: 'feedback' lists itself as an alternative",
    ]
    assert check_lines(capsys, content) == expected
    with pytest.raises(FaqContentError) as info:
        FaqStore.load(content)
    assert info.value.problems == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "- just\n- a list\n",
            "expected a mapping of head word -> list of words people use for it",
        ),
        ("manager: [boss\n", "not valid YAML"),
    ],
)
def test_synonym_table_shape_errors(
    capsys: pytest.CaptureFixture[str], content: Path, text: str, problem: str
) -> None:
    (content / "faq" / SYNONYMS_FILE).write_text(text)
    (line,) = check_lines(capsys, content)
    assert line.startswith(f"faq/{SYNONYMS_FILE}: ") and problem in line


def test_synonyms_change_what_a_question_finds(content: Path) -> None:
    """Through the public API: a made-up word finds nothing until the table maps it."""
    question = "how do I flurbish the program"
    (content / "faq" / SYNONYMS_FILE).unlink()
    program = load_program_defaults(content)
    without = FaqIndex.build(FaqStore.load(content), program).ask(question)
    assert without.band != "answer"
    (content / "faq" / SYNONYMS_FILE).write_text("leave: [flurbish, flurbishing]\n")
    with_table = FaqIndex.build(FaqStore.load(content), program).ask(question)
    assert (with_table.band, with_table.entry_id) == ("answer", "leave-the-program")


def test_store_load_raises_with_all_problems(content: Path) -> None:
    write_entry(content, "zz-rel", entry_front("zz-rel", related=["nope"]))
    write_entry(content, "zz-aud", entry_front("zz-aud", audience="boss"))
    with pytest.raises(FaqContentError) as info:
        FaqStore.load(content)
    assert len(info.value.problems) == 2
    assert "faq/zz-rel.md: 'related' id 'nope' does not exist" in str(info.value)


def test_broken_taxonomy_is_reported_by_check(
    capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    data = yaml.safe_load((content / "competencies.yaml").read_text())
    data["groups"][1]["competencies"].append({"id": "hiring", "name": "Hiring again"})
    (content / "competencies.yaml").write_text(yaml.safe_dump(data))
    assert check_content(content) == []
    assert check_lines(capsys, content, faq=False) == [
        "competencies.yaml: group 'communication': duplicate competency id 'hiring' "
        "(also in 'leadership')"
    ]


def test_missing_content_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "content", "check", "--content-dir", str(tmp_path / "nope"))
    assert code == 2
    assert "content folder not found" in err


# --- competencies ---------------------------------------------------------------------------


def test_competencies_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "content", "competencies", "--json")
    assert code == 0
    items = json.loads(out)
    raw = yaml.safe_load((REAL / "competencies.yaml").read_text())
    expected = [
        {"id": c["id"], "name": c["name"], "group": g["id"], "group_name": g["name"]}
        for g in raw["groups"]
        for c in g["competencies"]
    ]
    assert items == expected
    assert {
        "id": "public-speaking",
        "name": "Public speaking",
        "group": "communication",
        "group_name": "Communication",
    } in items


def test_competencies_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "content", "competencies")
    assert code == 0
    assert "Communication (communication)\n  - Public speaking (public-speaking)" in out


def test_taxonomy_api_and_errors(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(REAL)
    assert taxonomy.by_id["delegation"].group_id == "leadership"
    assert len(taxonomy.by_id) == len(taxonomy.competencies)
    assert [g.id for g in taxonomy.groups][:2] == ["leadership", "communication"]
    with pytest.raises(TaxonomyError, match="file not found"):
        load_taxonomy(tmp_path)
    (tmp_path / "competencies.yaml").write_text("groups:\n  - {id: Bad Id, name: X}\n")
    with pytest.raises(TaxonomyError, match="lower-case-hyphenated"):
        load_taxonomy(tmp_path)


def test_content_dir_env_override(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], content: Path
) -> None:
    write_entry(content, "zz-rel", entry_front("zz-rel", related=["nope"]))
    monkeypatch.setenv(CONTENT_DIR_ENV, str(content))
    assert content_dir() == content
    code, out, _ = run_cli(capsys, "content", "check")
    assert code == 1
    assert out == "faq/zz-rel.md: 'related' id 'nope' does not exist\n"


# --- faq ask ----------------------------------------------------------------------------------


def ask_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, _ = run_cli(capsys, "faq", "ask", *argv, "--json")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1  # exactly one JSON object
    data = json.loads(lines[0])
    assert set(data) == {"band", "entry_id", "score", "suggestions", "answer"}
    assert isinstance(data["score"], float) and 0.0 <= data["score"] <= 1.0
    assert isinstance(data["suggestions"], list)
    return data


def test_faq_ask_json_answer(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "how do I sign up for mentoring?")
    assert data["band"] == "answer"
    assert data["entry_id"] == "how-to-join"
    assert data["suggestions"] == []
    answer = data["answer"]
    assert isinstance(answer, str) and "`/mentoring join`" in answer and "**" not in answer


def test_faq_ask_json_suggest(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, "end")
    assert data["band"] == "suggest"
    assert data["answer"] is None
    suggestions = data["suggestions"]
    assert isinstance(suggestions, list) and 2 <= len(suggestions) <= 3
    assert suggestions[0] == data["entry_id"]
    assert {"ending-the-relationship", "end-of-mentoring"} <= set(suggestions)


@pytest.mark.parametrize("question", ["what's the wifi password?", "what's for lunch"])
def test_faq_ask_json_unknown(capsys: pytest.CaptureFixture[str], question: str) -> None:
    data = ask_json(capsys, question)
    assert data == {
        "band": "unknown",
        "entry_id": None,
        "score": data["score"],
        "suggestions": [],
        "answer": None,
    }


def test_faq_ask_json_near_domain_is_not_answered(capsys: pytest.CaptureFixture[str]) -> None:
    # Holidays are a reason to pause mentoring: a suggestion is fair, a confident answer not.
    data = ask_json(capsys, "how do I book a holiday?")
    assert data["band"] in ("suggest", "unknown")
    assert data["answer"] is None


def test_faq_ask_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "faq", "ask", "what is reverse mentoring", "--audience", "mentee"
    )
    assert code == 0
    assert out.startswith("What is reverse mentoring?  [reverse-mentoring, confidence ")
    code, out, _ = run_cli(capsys, "faq", "ask", "what's for lunch")
    assert code == 0 and "I don't know that one" in out


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "the question is empty"),
        ("   ", "the question is empty"),
        ("x" * 1001, "the question is 1001 characters long"),
    ],
)
def test_faq_ask_rejects_bad_questions(
    capsys: pytest.CaptureFixture[str], question: str, message: str
) -> None:
    code, out, err = run_cli(capsys, "faq", "ask", question, "--json")
    assert code == 2
    assert out == ""
    assert message in err


def test_faq_ask_accepts_exactly_1000_chars(capsys: pytest.CaptureFixture[str]) -> None:
    data = ask_json(capsys, ("mentoring " * 100)[:1000])
    assert data["band"] in ("answer", "suggest", "unknown")


def test_faq_ask_with_broken_content(capsys: pytest.CaptureFixture[str], content: Path) -> None:
    write_entry(content, "zz-rel", entry_front("zz-rel", related=["nope"]))
    code, out, err = run_cli(capsys, "faq", "ask", "hello", "--content-dir", str(content))
    assert code == 1
    assert "faq/zz-rel.md: 'related' id 'nope' does not exist" in err
    assert "mentorbot content check" in err


def test_faq_ask_method_follows_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paraphrase with no shared words is found by the hybrid's meaning signal only; the
    setting (or --method) picks the lexical method, which cannot."""
    question = "can all our meetings be over zoom"
    assert ask_json(capsys, question)["entry_id"] == "remote-mentoring"
    monkeypatch.setenv("MENTORBOT_FAQ_METHOD", "lexical")
    assert ask_json(capsys, question)["entry_id"] != "remote-mentoring"
    monkeypatch.setenv("MENTORBOT_FAQ_METHOD", "hybrid")
    assert ask_json(capsys, question, "--method", "lexical")["entry_id"] != "remote-mentoring"
    monkeypatch.setenv("MENTORBOT_FAQ_METHOD", "magic")
    code, _, err = run_cli(capsys, "faq", "ask", question)
    assert code != 0 and "MENTORBOT_FAQ_METHOD" in err
