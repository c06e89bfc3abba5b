"""Helpers shared by the benchmarks."""

from __future__ import annotations

from pathlib import Path


def status_kib(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status (e.g. "VmRSS", "VmHWM"), in
    KiB; None where /proc is not available (macOS, Windows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
