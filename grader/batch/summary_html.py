"""summary.html: the summary for looking rather than reading, opening offline in a browser.

The same tables as summary.md, and charts drawn with matplotlib (the `plot` extra) and embedded in
the page as PNG data: the distribution of scores per exercise and each check's pass rate across the
class. Without matplotlib the page has the tables and says how to get the charts.
"""
from __future__ import annotations

import base64
import html
import io

from grader.batch.classresults import ClassResults
from grader.batch.summary import SECTIONS, Counts, header, headline, submitted_results
from grader.messages import msg, render
from grader.report import PASSED, SKIPPED

STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}"
         "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 8px}img{max-width:100%}")


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_chart(book: ClassResults, exercise, lang: str = "en"):
    """A histogram of the scores of the students who handed the exercise in."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.5))
    axes = figure.subplots()
    possible = book.possible(exercise)
    axes.hist([r.score for r in submitted_results(book, exercise)], bins=min(20, max(1, int(possible))),
              range=(0, possible or 1), color="#4477aa")
    axes.set(title=render(msg("batch.chart.scores", exercise=exercise.id), lang),
             xlabel=render(msg("batch.chart.points_of", possible=f"{possible:g}"), lang),
             ylabel=render(msg("batch.chart.students"), lang))
    return figure


def pass_rate_chart(book: ClassResults, exercise, lang: str = "en"):
    """For each check of the exercise, the share of counted verdicts that passed."""
    from matplotlib.figure import Figure

    results = submitted_results(book, exercise)
    names = [spec.name for spec in exercise.checks]
    rates = []
    for name in names:
        verdicts = [c.status for r in results for c in r.checks if c.name == name and c.status != SKIPPED]
        rates.append(100 * verdicts.count(PASSED) / len(verdicts) if verdicts else 0.0)
    figure = Figure(figsize=(7, 0.3 * len(names) + 1))
    axes = figure.subplots()
    axes.barh(names[::-1], rates[::-1], color="#228833")
    axes.set(title=render(msg("batch.chart.pass_rate", exercise=exercise.id), lang),
             xlabel=render(msg("batch.chart.share"), lang), xlim=(0, 100))
    axes.tick_params(axis="y", labelsize=7)
    return figure


def _charts(book: ClassResults, lang: str) -> list[str]:
    try:
        import matplotlib  # noqa: F401 - only whether it is there
    except ImportError:
        return [f"<p>{html.escape(render(msg('batch.summary.no_charts'), lang))}</p>"]
    parts = []
    for exercise in book.exercises:
        for chart in (score_chart(book, exercise, lang), pass_rate_chart(book, exercise, lang)):
            alt = html.escape(chart.axes[0].get_title())
            parts.append(f'<p><img alt="{alt}" src="data:image/png;base64,{_png(chart)}"></p>')
    return parts


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell.strip('`'))}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_html(book: ClassResults, counts: Counts, lang: str = "en") -> str:
    """The summary as one self-contained HTML page, in `lang`."""
    title = html.escape(render(msg("batch.summary.title"), lang))
    none = f"<p>{html.escape(render(msg('batch.summary.none'), lang))}</p>"
    parts = ["<!DOCTYPE html>", f'<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>',
             f"<style>{STYLE}</style></head><body>", f"<h1>{title}</h1>",
             f"<p>{html.escape(headline(book, counts, lang))}</p>",
             f"<h2>{html.escape(render(msg('batch.summary.charts'), lang))}</h2>", *_charts(book, lang)]
    for title_of_table, columns, rows_of in SECTIONS:
        rows = rows_of(book)
        parts += [f"<h2>{html.escape(render(title_of_table, lang))}</h2>",
                  _table(header(columns, lang), rows) if rows else none]
    return "\n".join(parts + ["</body></html>", ""])
