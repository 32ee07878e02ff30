"""`grade list`: every exercise with its title, the last score (from the progress cache, never
graded again here) and which one to do next."""
from __future__ import annotations

from pathlib import Path

from grader import progress
from grader.catalog import Exercise, load_catalog
from grader.commands import options
from grader.messages import msg, render


def _status(exercise: Exercise, folder: Path, runs: dict[str, progress.LastRun], lang: str) -> str:
    if not (folder / exercise.module).is_file():
        return render(msg("list.no_file"), lang)
    run = runs.get(exercise.id)
    if run is None:
        return render(msg("list.not_graded"), lang)
    score = f"{run.score:g}/{run.max_score:g}"
    return f"{score}  {render(msg('list.done'), lang)}" if run.full_marks else score


def next_exercise(exercises: list[Exercise], folder: Path, runs: dict[str, progress.LastRun]) -> Exercise | None:
    """The first exercise, in course order, whose file is present and whose last run (if any) did not
    get full marks."""
    for exercise in exercises:
        run = runs.get(exercise.id)
        if (folder / exercise.module).is_file() and (run is None or not run.full_marks):
            return exercise
    return None


def text(exercises: list[Exercise], folder: Path, runs: dict[str, progress.LastRun], lang: str) -> str:
    """The list as text."""
    upcoming = next_exercise(exercises, folder, runs)
    titles = [e.title.get(lang) for e in exercises]
    width = max(map(len, titles))
    lines = [render(msg("list.heading", folder=folder), lang)]
    for exercise, title in zip(exercises, titles):
        marker = "→" if exercise is upcoming else " "
        lines.append(f" {marker} {exercise.number}  {exercise.id:<10} {title:<{width}}  "
                     f"{_status(exercise, folder, runs, lang)}")
    done = sum(1 for e in exercises if e.id in runs and runs[e.id].full_marks)
    lines.append("")
    if done == len(exercises):
        lines.append(render(msg("list.all_done", count=len(exercises)), lang))
    else:
        lines.append(render(msg("list.summary", done=done, count=len(exercises)), lang))
    if upcoming is not None:
        lines.append(render(msg("list.next", exercise=upcoming.id, title=upcoming.title.get(lang),
                                number=upcoming.number), lang))
    return "\n".join(lines) + "\n"


def run(argv: list[str]) -> int:
    """Print the exercises with their last scores and the next one to do."""
    lang = options.lang_of(argv)
    args = options.parser("grade list", msg("help.list.description"), exercise=False, lang=lang).parse_args(argv)
    folder = options.submission_dir(args.path, lang)
    print(text(list(load_catalog().values()), folder, progress.load(folder).runs, lang), end="")
    return 0
