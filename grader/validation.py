"""Grading the contract's argument validation: ValueError naming the argument."""
from __future__ import annotations

from typing import Callable

from grader.feedback import fail


def check_rejects(function: Callable, argument: str, **kwargs) -> None:
    """Pass if `function(**kwargs)` raises ValueError whose message names `argument`."""
    __tracebackhide__ = True
    call = f"{function.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    try:
        function(**kwargs)
    except ValueError as error:
        if argument not in str(error):
            fail(f"{call} raised ValueError({str(error)!r}), whose message does not name `{argument}`.",
                 f"a message that names the argument, e.g. \"{argument} must be at least 1\"")
        return
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any other exception is the student's to fix
        fail(f"{call} raised {type(error).__name__}: {error}.", f"ValueError naming `{argument}`")
    fail(f"{call} returned normally.", f"ValueError naming `{argument}`",
         f"Check `{argument}` before starting any thread or process.")
