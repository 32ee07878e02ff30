"""The JSON report: the machine-readable grade documented in README.md."""
from __future__ import annotations

import json

from grader.report import Report


def write(report: Report) -> str:
    """The report as one JSON document."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
