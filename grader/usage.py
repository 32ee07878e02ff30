"""The one error every command raises for a command line that cannot be carried out, and the parser
that raises it, with its help in the reader's language."""
from __future__ import annotations

import argparse
import functools
import sys

from grader.language import DEFAULT
from grader.messages import Message, msg, render

EXIT_USAGE = 2


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what and why.

    Raised with text already in the reader's language, or with a message that the command's entry
    point renders in it (for code that does not know the language, such as the batch's discovery)."""

    def __init__(self, what: str | Message):
        super().__init__(what if isinstance(what, str) else render(what))
        self.message = what if isinstance(what, Message) else None

    def text(self, lang: str) -> str:
        """What to print, in `lang` where the error was raised with a message."""
        return render(self.message, lang) if self.message is not None else str(self)


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, with the word before the usage line in the reader's language."""

    def __init__(self, prog: str, lang: str):
        super().__init__(prog)
        self.lang = lang

    def add_usage(self, usage, actions, groups, prefix=None):
        if prefix is None:
            prefix = render(msg("help.usage"), self.lang) + " "
        super().add_usage(usage, actions, groups, prefix)


class Parser(argparse.ArgumentParser):
    """An argument parser that raises `UsageError` instead of printing usage and exiting, and whose
    `--help` is in `lang`: the callers give their descriptions and help texts in it, the parser its
    own words (the usage line, the headings, `--help` itself)."""

    def __init__(self, prog: str, description: str, lang: str = DEFAULT):
        super().__init__(prog=prog, description=description, add_help=False,
                         formatter_class=functools.partial(_Formatter, lang=lang))
        # argparse names its two groups itself, in English: they are renamed, not replaced, so that
        # the arguments added later still land in them.
        self._positionals.title = render(msg("help.positionals"), lang)
        self._optionals.title = render(msg("help.options"), lang)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=render(msg("help.help"), lang))
        self.lang = lang
        self._required: list[argparse.Action] = []

    def add_argument(self, *args, **kwargs):
        """As argparse's; a required argument is checked here rather than by argparse, so that its
        absence is said in the reader's language."""
        action = super().add_argument(*args, **kwargs)
        if action.required:
            action.required = False
            self._required.append(action)
        return action

    def parse_args(self, args=None, namespace=None):
        """The arguments; words the parser does not know, an option without its value and a missing
        argument are usage errors in the reader's language."""
        words = list(sys.argv[1:] if args is None else args)
        self._check_option_values(words)
        parsed, unknown = self.parse_known_args(words, namespace)
        if unknown:
            raise UsageError(render(msg("usage.unrecognized", arguments=" ".join(unknown)), self.lang))
        missing = ["/".join(action.option_strings) or action.metavar or action.dest
                   for action in self._required
                   if getattr(parsed, action.dest, None) is None]
        if missing:
            raise UsageError(render(msg("usage.missing_arguments", arguments=", ".join(missing)), self.lang))
        return parsed

    def _check_option_values(self, words: list[str]) -> None:
        takes_value = {option for action in self._actions if action.option_strings and action.nargs is None
                       for option in action.option_strings}
        for index, word in enumerate(words):
            if word == "--":
                return
            following = words[index + 1] if index + 1 < len(words) else None
            if word in takes_value and (following is None or following.startswith("-") and len(following) > 1):
                raise UsageError(render(msg("usage.option_needs_value", option=word), self.lang))

    def _check_value(self, action, value):
        # argparse's own check of a choice, its sentence in the reader's language.
        if action.choices is not None and value not in action.choices:
            option = "/".join(action.option_strings) or action.dest
            choices = ", ".join(map(repr, action.choices))
            raise UsageError(render(msg("usage.invalid_choice", option=option, value=repr(value), choices=choices),
                                    self.lang))

    def error(self, message: str):
        raise UsageError(message)
