"""The FAQ's fitted constants are reproducible (its own file: the re-fit is the slowest FAQ
test, and a file of its own lets the suite run it beside the evaluation)."""

from __future__ import annotations

from pathlib import Path


def test_shipped_constants_are_what_the_fit_gives(tmp_path: Path) -> None:
    """The weights and calibrations in core/faq/retrieval.py are reproducible: re-fitting on
    the tuning splits (`bench_faq --fit --write`) writes back exactly the shipped file."""
    from benchmarks import bench_faq

    shipped = bench_faq.RETRIEVAL_PATH.read_text(encoding="utf-8")
    spoiled = tmp_path / "retrieval.py"
    hybrid = '{**FUSION_WEIGHTS["lexical"], "embedding": '
    assert hybrid in shipped
    text = shipped.replace(hybrid, hybrid + "1.0 + ", 1)
    start = text.index("CALIBRATIONS: dict[str, Calibration] = {")
    text = text[:start] + text[start:].replace("        (\n", "        (\n            0.5,\n", 1)
    assert text != shipped
    spoiled.write_text(text, encoding="utf-8")
    assert bench_faq.main(["--fit", "--write", str(spoiled)]) == 0
    assert spoiled.read_text(encoding="utf-8") == shipped
