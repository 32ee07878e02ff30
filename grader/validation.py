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
            fail("arguments.message_without_name", call=call, message=repr(str(error)), argument=argument)
        return
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any other exception is the student's to fix
        fail("arguments.other_exception", call=call, error=f"{type(error).__name__}: {error}", argument=argument)
    fail("arguments.returned_normally", call=call, argument=argument)
