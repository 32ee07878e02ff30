"""`grade list`: every exercise with its title, the last score (from the progress cache, never
graded again here) and which one to do next."""
from __future__ import annotations

from pathlib import Path

from grader import language, progress
from grader.catalog import Exercise, load_catalog
from grader.commands import options
from grader.phrases import say


def _status(exercise: Exercise, folder: Path, runs: dict[str, progress.LastRun], lang: str) -> str:
    if not (folder / exercise.module).is_file():
        return say("list.no_file", lang)
    run = runs.get(exercise.id)
    if run is None:
        return say("list.not_graded", lang)
    score = f"{run.score:g}/{run.max_score:g}"
    return f"{score}  {say('list.done', lang)}" if run.full_marks else score


def next_exercise(exercises: list[Exercise], folder: Path, runs: dict[str, progress.LastRun]) -> Exercise | None:
    """The first exercise, in course order, whose file is present and whose last run (if any) did not
    get full marks."""
    for exercise in exercises:
        run = runs.get(exercise.id)
        if (folder / exercise.module).is_file() and (run is None or not run.full_marks):
            return exercise
    return None


def render(exercises: list[Exercise], folder: Path, runs: dict[str, progress.LastRun], lang: str) -> str:
    """The list as text."""
    upcoming = next_exercise(exercises, folder, runs)
    titles = [e.title.get(lang) for e in exercises]
    width = max(map(len, titles))
    lines = [say("list.heading", lang, folder=folder)]
    for exercise, title in zip(exercises, titles):
        marker = "→" if exercise is upcoming else " "
        lines.append(f" {marker} {exercise.number}  {exercise.id:<10} {title:<{width}}  "
                     f"{_status(exercise, folder, runs, lang)}")
    done = sum(1 for e in exercises if e.id in runs and runs[e.id].full_marks)
    lines.append("")
    if done == len(exercises):
        lines.append(say("list.all_done", lang, count=len(exercises)))
    else:
        lines.append(say("list.summary", lang, done=done, count=len(exercises)))
    if upcoming is not None:
        lines.append(say("list.next", lang, exercise=upcoming.id, title=upcoming.title.get(lang),
                         number=upcoming.number))
    return "\n".join(lines) + "\n"


def run(argv: list[str]) -> int:
    """Print the exercises with their last scores and the next one to do."""
    args = options.parser("grade list", "List the exercises, your last scores and what to do next.",
                          exercise=False).parse_args(argv)
    lang = language.choose(args.lang)
    folder = options.submission_dir(args.path, lang)
    print(render(list(load_catalog().values()), folder, progress.load(folder).runs, lang), end="")
    return 0
