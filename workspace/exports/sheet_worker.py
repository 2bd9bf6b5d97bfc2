"""The child process that reads an uploaded spreadsheet (`sheet_reading._in_worker` starts it).

Reads a pickled request on stdin — (kind, content, arguments, seconds, memory bytes) — limits its
own memory and CPU time, reads the file with `sheet_reading.read_here`, and writes the pickled
outcome on stdout: ("ok", value) or ("refused", UnreadableFile). Anything else (a crash, the
memory limit) ends it with a non-zero status, which the parent reads as "too much work".

It imports only the reader and openpyxl: `workspace/__init__.py` (the whole app, two seconds of
imports) is skipped by registering the two packages as bare namespaces first.
"""

from __future__ import annotations

import pickle
import sys
import time
import types
from pathlib import Path


def _import_reader() -> types.ModuleType:
    root = Path(__file__).resolve().parents[2]
    for name, folder in (("workspace", root / "workspace"), ("workspace.exports", root / "workspace" / "exports")):
        package = types.ModuleType(name)
        package.__path__ = [str(folder)]
        sys.modules[name] = package
    import workspace.exports.sheet_reading as reader

    return reader


def _limit(seconds: float, memory: int) -> None:
    """Memory and CPU bounded; and a lower priority, so that the server's own process (every
    request and socket) comes first on a busy laptop."""
    try:
        import os
        import resource

        os.nice(10)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    except (ImportError, ValueError, OSError):  # not on this platform: the parent's timeout still holds
        pass


def main() -> None:
    kind, content, arguments, seconds, memory = pickle.loads(sys.stdin.buffer.read())
    started = time.monotonic()
    reader = _import_reader()
    _limit(seconds, memory)
    reader._deadline.append(started + seconds)
    try:
        outcome = ("ok", reader.read_here(kind, content, arguments))
    except reader.UnreadableFile as refused:
        outcome = ("refused", refused)
    sys.stdout.buffer.write(pickle.dumps(outcome))


if __name__ == "__main__":
    main()
