"""`grade hint EXERCISE`: the catalog's hints for the first check that did not pass in the last run,
one level at a time; asking again gives the next, more concrete level. The level reached is kept in
the progress cache and starts again at 1 when another check becomes the first to fix."""
from __future__ import annotations

import textwrap

from grader import progress
from grader.catalog import CheckSpec, Exercise
from grader.commands import options
from grader.messages import msg, render
from grader.report import ERROR, FAILED, IMPORT_ERROR

NOT_PASSED = (FAILED, ERROR)


def first_to_fix(exercise: Exercise, last: progress.LastRun | None) -> CheckSpec | None:
    """The first visible check, in catalog order, that failed or ended in an error in the last run;
    the first visible check when the exercise was never graded; None when every check passed."""
    visible = [spec for spec in exercise.checks if not spec.hidden]
    if last is None:
        return visible[0] if visible else None
    return next((spec for spec in visible
                 if last.checks.get(spec.name, {}).get("status") in NOT_PASSED), None)


def next_level(state: progress.HintLevel | None, spec: CheckSpec) -> int:
    """The level to show now: one more than last time for the same check, at most the last level."""
    if state is None or state.check != spec.name:
        return 1
    return min(state.level + 1, len(spec.hint_levels))


def _hint_text(exercise: Exercise, spec: CheckSpec, level: int, lang: str) -> list[str]:
    levels = spec.hint_levels
    text = textwrap.fill(levels[level - 1].get(lang), width=100, initial_indent="  ", subsequent_indent="  ")
    heading = msg("hint.heading", level=level, levels=len(levels), check=spec.name, target=spec.target)
    closing = msg("hint.more" if level < len(levels) else "hint.last", number=exercise.number)
    return [render(heading, lang), text, "", render(closing, lang)]


def run(argv: list[str]) -> int:
    """Print the next hint for the exercise's first check to fix, and remember the level shown."""
    lang = options.lang_of(argv)
    args = options.parser("grade hint", msg("help.hint.description"), exercise=True, lang=lang).parse_args(argv)
    folder = options.submission_dir(args.path, lang)
    exercise = options.exercise(args.exercise, folder, lang)
    remembered = progress.load(folder)
    last = remembered.runs.get(exercise.id)
    spec = first_to_fix(exercise, last)
    if spec is None:
        print(render(msg("hint.all_passed", exercise=exercise.id), lang))
        return 0
    if last is not None and last.checks[spec.name].get("reason") == IMPORT_ERROR:
        print(render(msg("hint.import_failed", number=exercise.number), lang))
        return 0
    not_graded = msg("hint.not_graded", exercise=exercise.id, number=exercise.number)
    lines = [] if last is not None else [render(not_graded, lang), ""]
    level = next_level(remembered.hints.get(exercise.id), spec)
    print("\n".join(lines + _hint_text(exercise, spec, level, lang)))
    remembered.hints[exercise.id] = progress.HintLevel(spec.name, level)
    progress.save(folder, remembered)
    return 0
