"""Whether a stream gets the coloured report. Apart from the terminal writer so that deciding costs
nothing: `rich` is imported only when the answer is yes."""
from __future__ import annotations

import os
from typing import TextIO


def wanted(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Whether `stream` is a terminal that takes colour: not a file or pipe, no `NO_COLOR`, not a
    dumb terminal."""
    environ = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"
