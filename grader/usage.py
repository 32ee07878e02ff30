"""The one error every command raises for a command line that cannot be carried out."""
from __future__ import annotations

import argparse

EXIT_USAGE = 2


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what and why."""


class Parser(argparse.ArgumentParser):
    """An argument parser that raises `UsageError` instead of printing usage and exiting."""

    def error(self, message: str):
        raise UsageError(message)
