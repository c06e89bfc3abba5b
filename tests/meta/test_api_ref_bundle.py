"""The sandbox ships a digest of Slack's reference so it runs on a clone without ../shared;
the digest must stay identical to what the full reference gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.fake_slack.api_ref import (
    BUNDLE,
    ApiReference,
    default_api_ref_dir,
    digest,
    load_bundle,
)


def test_the_shipped_digest_matches_the_reference() -> None:
    shared = default_api_ref_dir()
    assert (shared / "methods").is_dir(), "tests need ../shared/slack-api-ref"
    assert load_bundle() == digest(shared), (
        "sandbox/fake_slack/slack_api_ref.json.gz is stale: regenerate it with "
        "`python -c 'from pathlib import Path; from sandbox.fake_slack.api_ref import make_bundle; "
        'make_bundle(Path("../shared/slack-api-ref"))\'`'
    )
    assert BUNDLE.with_name("SLACK_API_REF_LICENSE.md").exists()


def test_without_the_reference_folder_the_digest_answers_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    full = ApiReference()
    monkeypatch.setenv("MENTORBOT_SLACK_API_REF", str(tmp_path / "missing"))
    bundled = ApiReference()
    assert bundled.root == BUNDLE
    assert bundled.methods == full.methods
    for method in (
        "chat.postMessage",
        "conversations.open",
        "views.open",
        "files.completeUploadExternal",
    ):
        assert bundled.scopes_for(method) == full.scopes_for(method)
        assert bundled.required_args(method) == full.required_args(method)
        assert bundled.errors_for(method) == full.errors_for(method)
    assert bundled.event_scopes("message.im") == full.event_scopes("message.im")


def test_an_explicit_missing_folder_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="slack-api-ref"):
        ApiReference(tmp_path / "nowhere")
