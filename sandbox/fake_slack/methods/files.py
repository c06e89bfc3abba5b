"""The external upload flow (files.getUploadURLExternal, files.completeUploadExternal), files.info
and the retired files.upload."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

from ..blockkit import validate_blocks
from ..common import SlackApiFailure, split_ids
from ..models import FakeFile

if TYPE_CHECKING:
    from ..core import FakeSlack


def files_get_upload_url(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    try:
        length = int(args["length"])
    except (TypeError, ValueError):
        raise SlackApiFailure(
            "invalid_arguments", messages=["[ERROR] length must be an integer"]
        ) from None
    file_id = f"F{fake._next_seq():09d}"
    name = str(args["filename"])
    fake._files[file_id] = FakeFile(
        id=file_id,
        name=name,
        length=length,
        user=fake.bot_user_id,
        created=int(fake.clock()),
        alt_txt=args.get("alt_txt"),
        mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    return {"upload_url": f"{base}/upload/{file_id}", "file_id": file_id}


def files_complete_upload(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    items = args.get("files")
    if not isinstance(items, list) or not items:
        raise SlackApiFailure(
            "invalid_arguments", messages=["[ERROR] files must be a non-empty JSON array"]
        )
    files: list[FakeFile] = []
    for item in items:
        file = fake._files.get(str((item or {}).get("id")))
        if file is None or not file.uploaded:
            raise SlackApiFailure("file_not_found")
        if item.get("title"):
            file.title = str(item["title"])
        files.append(file)
    targets = split_ids(args.get("channels")) or split_ids(args.get("channel_id"))
    channels = [fake._resolve_channel(c) for c in targets]
    for channel in channels:
        fake._check_can_post(channel)
    share: dict[str, Any] = {
        "text": args.get("initial_comment") or "",
        "thread_ts": args.get("thread_ts"),
    }
    if args.get("blocks") is not None:
        problems = validate_blocks(args["blocks"])
        if problems:
            raise SlackApiFailure("invalid_blocks", messages=problems)
        share["blocks"] = args["blocks"]
    for file in files:
        file.completed = True
        for channel in channels:
            if channel.id not in file.channels:
                file.channels.append(channel.id)
    for channel in channels:
        msg = fake._store_bot_message(
            channel, share, via="file", warnings=[], method="files.completeUploadExternal"
        )
        msg.files = [f.to_slack() for f in files]
    return {"files": [{"id": f.id, "title": f.title or f.name} for f in files]}


def files_info(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    file = fake._files.get(str(args["file"]))
    if file is None or not file.completed:
        raise SlackApiFailure("file_not_found")
    return {"file": file.to_slack()}


def files_upload(fake: FakeSlack, args: dict[str, Any], base: str) -> dict[str, Any]:
    raise SlackApiFailure(
        "method_deprecated",
        messages=["[ERROR] files.upload is retired; use files_upload_v2 (getUploadURLExternal)"],
    )
