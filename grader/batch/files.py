"""Writing an output file so that a reader (a spreadsheet, an LMS import) never sees half of it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

READABLE = 0o644


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: written to a temporary file beside it, then renamed."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, READABLE)  # mkstemp makes it private; an output is for sharing
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
