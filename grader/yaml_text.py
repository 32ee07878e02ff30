"""Reading the grader's YAML files (catalog, messages, templates) with the fastest safe loader.

Every `grade` reads some twenty of them, in the command and again in the grading child: libyaml's
loader (in PyYAML's wheels) reads them several times faster than the pure-Python one, with the same
safe subset of YAML.
"""
from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError


def parse(text: str) -> Any:
    """The data of a YAML document, with only plain types (as `yaml.safe_load`)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
