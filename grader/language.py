"""Which language a person reads: `--lang`, else the locale, else English.

Student-facing text (titles, hints, feedback, the command's own messages) exists in every language of
`LANGUAGES`; code asks `choose()` once per command and passes the answer down.
"""
from __future__ import annotations

import os

LANGUAGES = ("en", "ru")
DEFAULT = "en"
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def from_locale(environ: dict[str, str] | None = None) -> str:
    """The language the locale asks for (`LANG=ru_RU.UTF-8` gives "ru"), English when it names none we have."""
    environ = os.environ if environ is None else environ
    for variable in _LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if not value:
            continue
        code = value.split(":")[0].split("_")[0].split(".")[0].lower()
        return code if code in LANGUAGES else DEFAULT
    return DEFAULT


def choose(requested: str | None, environ: dict[str, str] | None = None) -> str:
    """`requested` (from `--lang`) when given, else the locale's language."""
    return requested if requested in LANGUAGES else from_locale(environ)


def requested(argv: list[str]) -> str | None:
    """The value of `--lang` in a command line not parsed yet (`--lang ru` or `--lang=ru`; the last
    one, as the parser takes), so that the parser's own help and errors can already be in that
    language; None when it is not given."""
    found = None
    for position, word in enumerate(argv):
        if word == "--":
            break
        if word.startswith("--lang="):
            found = word.split("=", 1)[1]
        elif word == "--lang" and position + 1 < len(argv):
            found = argv[position + 1]
    return found
