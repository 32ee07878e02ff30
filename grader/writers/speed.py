"""The student's own measured times, as a small table under the check that measured them.

A check that times the student's code puts its numbers in its result's details under `speed`: a list
of rows `{"what": "threads", "count": 4, "seconds": 0.061}`, the first row being the one the others
are compared with. `what` names the kind of row, labelled by its message (`report.speed.threads`).
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.messages import Message, msg, render
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
        return render(msg("report.speed.milliseconds", milliseconds=seconds * 1000), lang)
    return render(msg("report.speed.seconds", seconds=seconds), lang)


def _label(row: dict) -> Message:
    count = row.get("count", 0)
    labels = {"threads": msg("report.speed.threads", count=count),
              "processes": msg("report.speed.processes", count=count),
              "yardstick": msg("report.speed.yardstick", count=count),
              "serial": msg("report.speed.serial"),
              "one_at_a_time": msg("report.speed.one_at_a_time"),
              "concurrent": msg("report.speed.concurrent")}
    return labels[row["what"]]


def speed_rows(check: CheckResult, lang: str) -> list[SpeedRow]:
    """The rows of a check's `speed` details, in order; none when it measured nothing."""
    rows = [row for row in check.details.get(SPEED) or [] if row.get("seconds")]
    if not rows:
        return []
    first = rows[0]["seconds"]
    return [SpeedRow(render(_label(row), lang),
                     _duration(row["seconds"], lang), f"×{first / row['seconds']:.2f}")
            for row in rows]


def plain_table(rows: list[SpeedRow], lang: str, indent: int) -> list[str]:
    """The rows as aligned plain-text lines under a heading."""
    pad = " " * indent
    header = SpeedRow("", render(msg("report.speed.time"), lang), render(msg("report.speed.speedup"), lang))
    label_width = max(len(row.label) for row in (header, *rows))
    time_width = max(len(row.time) for row in (header, *rows))
    lines = [pad + render(msg("report.speed.heading"), lang)]
    for row in (header, *rows):
        lines.append(f"{pad}  {row.label:<{label_width}}  {row.time:>{time_width}}  {row.speedup:>9}".rstrip())
    return lines
