"""`make bench`: run every benchmark in turn (each prints its own figures and ratios).

`python -m benchmarks NAME ...` runs only the named ones (burst, warm, faq, matching, sweep,
import, ack).
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = ("burst", "warm", "faq", "matching", "import", "sweep", "ack")


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    status = 0
    for name in chosen:
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"benchmarks.bench_{name}":
                print(f"== {name}: no such benchmark", flush=True)
                status = 1
                continue
            raise
        print(f"\n== {name} " + "=" * 60, flush=True)
        started = time.perf_counter()
        code = module.main([])
        print(f"== {name} finished in {time.perf_counter() - started:.1f} s (exit {code})")
        status = status or int(code or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
