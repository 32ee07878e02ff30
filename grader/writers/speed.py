"""The student's own measured times, as a small table under the check that measured them.

A check that times the student's code puts its numbers in its result's details under `speed`: a list
of rows `{"what": "threads", "count": 4, "seconds": 0.061}`, the first row being the one the others
are compared with. `what` names the label of the row in `grader/phrases.yaml` (`speed.threads`).
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.phrases import say
from grader.report import CheckResult

SPEED = "speed"


@dataclass(frozen=True)
class SpeedRow:
    """One measured time, labelled for the student, and its speedup over the first row."""

    label: str
    time: str
    speedup: str


def _duration(seconds: float, lang: str) -> str:
    if seconds < 1.0:
        return say("report.milliseconds", lang, value=f"{seconds * 1000:.0f}")
    return say("report.seconds", lang, value=f"{seconds:.2f}")


def speed_rows(check: CheckResult, lang: str) -> list[SpeedRow]:
    """The rows of a check's `speed` details, in order; none when it measured nothing."""
    rows = [row for row in check.details.get(SPEED) or [] if row.get("seconds")]
    if not rows:
        return []
    first = rows[0]["seconds"]
    return [SpeedRow(say(f"speed.{row['what']}", lang, count=row.get("count", 0)),
                     _duration(row["seconds"], lang), f"×{first / row['seconds']:.2f}")
            for row in rows]


def plain_table(rows: list[SpeedRow], lang: str, indent: int) -> list[str]:
    """The rows as aligned plain-text lines under a heading."""
    pad = " " * indent
    header = SpeedRow("", say("report.speed_time", lang), say("report.speed_speedup", lang))
    label_width = max(len(row.label) for row in (header, *rows))
    time_width = max(len(row.time) for row in (header, *rows))
    lines = [pad + say("report.speed_heading", lang)]
    for row in (header, *rows):
        lines.append(f"{pad}  {row.label:<{label_width}}  {row.time:>{time_width}}  {row.speedup:>9}".rstrip())
    return lines
