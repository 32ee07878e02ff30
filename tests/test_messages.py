"""Student-facing messages as data: every key a check emits has a sentence in every language, each
sentence names only values its emitters give, plurals are right, and `grade --lang ru` speaks Russian.

The emitters are found by reading the grader's source (AST): every call of `fail`, `check`,
`fail_without_concurrency`, `not_measurable`, `info` or `msg` with its key and the names of the values
it passes. A key must be a string literal (or a choice between two) and the values plain keywords, so
that this test sees all of them.
"""
from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, VARIANTS, run_grade, submission_with
from grader.batch.classresults import ClassResults
from grader.batch.discover import Student
from grader.batch.store import Record
from grader.batch.summary import Counts, summary_markdown
from grader.batch.summary_html import summary_html
from grader.catalog import load_catalog
from grader.cli import _describe_sandbox
from grader.report import CheckResult, ExerciseResult
from grader.language import LANGUAGES, requested
from grader.messages import Message, msg, placeholders, plural_form, render, templates

GRADER = ROOT / "grader"
# The argument that holds the key, for each function that emits a message.
EMITTERS = {"fail": 0, "check": 1, "fail_without_concurrency": 0, "not_measurable": 0, "dependency_missing": 0,
            "info": 1, "msg": 0}
HINTED = {"fail", "check"}
# Templates that read the same in every language: they hold only values, code or punctuation.
SAME_IN_EVERY_LANGUAGE = {"feedback.labelled", "where.called", "where.code",
                          "verdict.assertion", "verdict.dependency_missing", "answer.why_not", "import.code",
                          "runner.output", "lock.call_mistake", "queue.call_mistake",
                          "list.call_mistake", "processes.then", "help.metavar.csv", "help.metavar.n"}


@dataclass(frozen=True)
class Emitter:
    """One call in the grader's source that emits a message."""

    where: str
    key: str
    values: frozenset[str]


def _keys(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys(node.body), _keys(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def _scan(path: Path) -> tuple[list[Emitter], list[str]]:
    """The emitters in `path`, and the calls whose key or values cannot be read from the source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    emitters, unreadable = [], []
    forwarders = {node.args.posonlyargs[0].arg for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef) and node.args.posonlyargs}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in EMITTERS or len(node.args) <= EMITTERS[name]:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        key_arg = node.args[EMITTERS[name]]
        if isinstance(key_arg, ast.Name) and key_arg.id in forwarders | {"key"}:
            continue  # the emitting function itself, passing its caller's key on
        keys = _keys(key_arg)
        if keys is None or any(k.arg is None for k in node.keywords):
            unreadable.append(where)
            continue
        # `hint` of fail and check is the failure's hint, not a value of its message.
        values = frozenset(k.arg for k in node.keywords if not (k.arg == "hint" and name in HINTED))
        emitters += [Emitter(where, key, values) for key in keys]
    return emitters, unreadable


def _all_emitters() -> tuple[list[Emitter], list[str]]:
    emitters, unreadable = [], []
    for path in sorted(GRADER.rglob("*.py")):
        found, bad = _scan(path)
        emitters += found
        unreadable += bad
    return emitters, unreadable


EMITTED, UNREADABLE = _all_emitters()


def test_every_emitting_call_can_be_read_from_the_source():
    assert EMITTED and not UNREADABLE, UNREADABLE


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_emitted_key_has_a_template(lang):
    missing = sorted({f"{e.key} ({e.where})" for e in EMITTED if e.key not in templates(lang)})
    assert not missing, missing


def test_every_template_is_emitted_somewhere_and_exists_in_every_language():
    emitted = {e.key for e in EMITTED}
    for lang in LANGUAGES:
        assert set(templates(lang)) == emitted, (lang, set(templates(lang)) ^ emitted)


def test_every_template_names_only_values_that_each_emitter_gives():
    wrong = [f"{e.where}: {e.key} names {sorted(placeholders(templates(lang)[e.key]) - e.values)} ({lang})"
             for e in EMITTED for lang in LANGUAGES
             if e.key in templates(lang) and not placeholders(templates(lang)[e.key]) <= e.values]
    assert not wrong, wrong


def test_every_template_is_translated():
    same = sorted(key for key, template in templates("en").items()
                  if templates("ru").get(key) == template and key not in SAME_IN_EVERY_LANGUAGE)
    assert not same, same


@pytest.mark.parametrize("emitter", EMITTED, ids=lambda e: f"{e.key}@{e.where}")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_emitter_renders_in_every_language(emitter, lang):
    for sample in (1, 2, 5):
        text = render(msg(emitter.key, **{name: sample for name in emitter.values}), lang)
        assert text.strip() and "{" not in text.replace("{{", ""), text


@pytest.mark.parametrize("number, word", [(0, "потоков"), (1, "поток"), (2, "потока"), (4, "потока"),
                                          (5, "потоков"), (11, "потоков"), (12, "потоков"), (14, "потоков"),
                                          (21, "поток"), (22, "потока"), (25, "потоков"), (111, "потоков"),
                                          (1.5, "потока")])
def test_russian_plurals(number, word):
    assert plural_form("ru", number, ["поток", "потока", "потоков"]) == word


@pytest.mark.parametrize("number, word", [(0, "threads"), (1, "thread"), (2, "threads"), (21, "threads")])
def test_english_plurals(number, word):
    assert plural_form("en", number, ["thread", "threads"]) == word


@pytest.mark.parametrize("count, en, ru", [(1, "thread", "поток"), (2, "threads", "потока"),
                                           (5, "threads", "потоков"), (11, "threads", "потоков"),
                                           (21, "threads", "поток"), (22, "threads", "потока"),
                                           (112, "threads", "потоков")])
def test_a_number_in_a_speed_table_takes_its_plural_form(count, en, ru):
    label = msg("report.speed.threads", count=count)
    assert (render(label, "en"), render(label, "ru")) == (f"{count} {en}", f"{count} {ru}")


def test_the_commands_and_the_writers_are_scanned():
    scanned = {e.where.split(":")[0] for e in EMITTED}
    assert {"grader/commands/list.py", "grader/commands/hint.py", "grader/commands/watch.py",
            "grader/commands/options.py", "grader/cli.py", "grader/writers/text.py",
            "grader/writers/terminal.py", "grader/writers/speed.py"} <= scanned


def test_a_sentence_is_whole_in_each_language():
    message = msg("lock.different_locks", locks=21, where=msg("lock.created_in_thread", line=14))
    assert render(message, "ru").startswith("Обновления защищали 21 разный замок, поэтому")
    assert "(строка 14)" in render(message, "ru")
    assert render(message, "en").startswith("The updates were guarded by 21 different locks, so")
    assert render(message, "ru").splitlines()[1] == "Ожидалось: один замок, созданный один раз и общий для всех потоков"


def test_a_message_survives_the_trip_through_json():
    message = msg("queue.not_joined", n_threads=4, not_joined=2, running=msg("queue.still_running", running=1))
    back = Message.from_data(json.loads(json.dumps(message.to_data())))
    assert back == message and render(back, "ru") == render(message, "ru")


def test_a_text_in_every_language_is_a_value():
    hint = msg("feedback.hint", hint={"en": "Join them.", "ru": "Дождитесь их."})
    assert (render(hint, "en"), render(hint, "ru")) == ("Hint: Join them.", "Подсказка: Дождитесь их.")


def test_grade_in_russian_shows_russian_feedback_with_plural_forms(tmp_path):
    folder = submission_with(tmp_path, "exercise1_counter_race.py", VARIANTS / "exercise1" / "no_lock.py")
    report = run_grade("1", "--path", str(folder), "--format", "json", "--lang", "ru").report
    checks = {c["name"]: c for c in report["exercises"][0]["checks"]}
    lost = checks["test_count_with_lock_keeps_every_increment_when_threads_switch"]
    assert "10 потоков × 1 прибавление" in lost["feedback"], lost["feedback"]
    assert "Подсказка: Держите один общий замок" in lost["feedback"]
    assert lost["message"][0]["key"] == "lock.lost_updates"
    assert lost["message"][0]["values"]["n_threads"] == 10
    for check in checks.values():
        parts = [Message.from_data(part) for part in check["message"]]
        assert render(parts, "ru") == check["feedback"]
    assert report["exercises"][0]["title"].startswith("Упражнение")


def test_the_locale_chooses_russian_for_the_text_report(tmp_path):
    folder = submission_with(tmp_path, "exercise1_counter_race.py", VARIANTS / "exercise1" / "no_lock.py")
    graded = run_grade("1", "--path", str(folder), env={**os.environ, "LANG": "ru_RU.UTF-8", "LC_ALL": "",
                                                         "LC_MESSAGES": "", "LANGUAGE": ""})
    assert "Итого: " in graded.stdout and "НЕВЕРНО" in graded.stdout
    assert "вообще не брала замок" in graded.stdout
    assert "(оценивается после сдачи)" in graded.stdout


# The command's own words: usage errors and help in the chosen language

RUSSIAN_LOCALE = {**os.environ, "LANG": "ru_RU.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
ENGLISH_LOCALE = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}


@pytest.mark.parametrize("argv, lang", [([], None), (["1", "--lang", "ru"], "ru"), (["--lang=en", "1"], "en"),
                                        (["--lang", "en", "--lang", "ru"], "ru"), (["--", "--lang", "ru"], None),
                                        (["--lang"], None)])
def test_lang_is_read_from_a_command_line_before_it_is_parsed(argv, lang):
    assert requested(argv) == lang


def test_an_unknown_exercise_under_a_russian_locale_is_a_russian_one_line_error():
    graded = run_grade("9", env=RUSSIAN_LOCALE)
    assert graded.exit_code == 2 and graded.stdout == ""
    assert graded.stderr.startswith("grade: неизвестное упражнение '9' (есть: exercise1, ")
    assert len(graded.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, russian", [
    (["1", "--path", "/nonexistent/folder", "--lang", "ru"], "grade: --path /nonexistent/folder: такой папки нет"),
    (["1", "--lang", "ru", "--path", "tests"], "grade: в "),
    (["--lang", "ru", "--path", "tests"], "нет ни одного файла упражнения (например, exercise1_counter_race.py)"),
    (["--format", "xml", "--lang", "ru"], "grade: --format: недопустимое значение 'xml' (возможные: 'classroom', "),
    (["list", "--lang=ru", "--bogus"], "grade: непонятные аргументы: --bogus"),
    (["hint", "--lang", "ru"], "grade: не хватает аргументов: УПРАЖНЕНИЕ"),
    (["1", "--lang", "ru", "--path"], "grade: после --path нужно указать значение"),
    (["watch", "--path", "--lang", "ru"], "grade: после --path нужно указать значение"),
])
def test_usage_errors_speak_the_language_asked_for(args, russian):
    graded = run_grade(*args, env=ENGLISH_LOCALE)
    assert graded.exit_code == 2 and russian in graded.stderr, graded.stderr
    assert len(graded.stderr.strip().splitlines()) == 1


def test_argparse_errors_read_as_argparse_words_them_in_english():
    graded = run_grade("--format", "xml", "--bogus", env=ENGLISH_LOCALE)
    assert graded.stderr == "grade: argument --format: invalid choice: 'xml' (choose from 'classroom', 'gradescope', " \
                            "'json', 'text')\n"
    assert run_grade("1", "--bogus", "x", env=ENGLISH_LOCALE).stderr == "grade: unrecognized arguments: --bogus x\n"


def test_an_output_that_cannot_be_written_is_a_russian_usage_error(tmp_path):
    graded = run_grade("1", "--path", "solutions", "--lang", "ru", "--output", str(tmp_path / "no" / "r.txt"))
    assert graded.exit_code == 2 and graded.stdout == ""
    assert graded.stderr.startswith(f"grade: --output {tmp_path / 'no' / 'r.txt'}: не удалось записать отчёт (")


@pytest.mark.parametrize("command", [[], ["list"], ["hint"], ["watch"]], ids=lambda c: " ".join(c) or "grade")
def test_help_is_russian_when_asked_for_before_or_after(command):
    for args in ([*command, "--help", "--lang", "ru"], [*command, "--lang=ru", "-h"]):
        graded = run_grade(*args, env=ENGLISH_LOCALE)
        assert graded.exit_code == 0, graded.stderr
        assert graded.stdout.startswith(f"использование: grade {' '.join(command)}".rstrip() + " [-h] [--path ПАПКА]")
        assert "параметры:" in graded.stdout and "показать эту справку и выйти" in graded.stdout
        assert not [word for word in ("usage", "options", "show this help", "folder holding") if word in graded.stdout]


def test_help_follows_a_russian_locale_and_stays_english_otherwise():
    russian = run_grade("--help", env=RUSSIAN_LOCALE).stdout
    english = run_grade("--help", env=ENGLISH_LOCALE).stdout
    assert russian.startswith("использование: grade") and "Проверяет упражнения" in russian
    assert english.startswith("usage: grade [-h] [--path PATH]")
    assert "Grade concurrency exercises and explain the verdicts." in english
    assert "\npositional arguments:\n  EXERCISE " in english and "show this help message and exit" in english


def test_the_sandbox_description_is_in_the_language_of_the_run():
    layers = {"active": {"reaper": "every process ends with its run"}, "skipped": {"user": "already unprivileged"}}
    assert _describe_sandbox(layers, "en") == ("Confinement of the grading processes:\n"
                                               "  on   reaper: every process ends with its run\n"
                                               "  off  user: already unprivileged\n")
    assert _describe_sandbox(layers, "ru").splitlines() == ["Изоляция процессов проверки:",
                                                            "  вкл   reaper: every process ends with its run",
                                                            "  выкл  user: already unprivileged"]


def test_the_layers_a_run_reports_are_described_in_the_language_of_the_run():
    graded = run_grade("2", "--path", "solutions", "--sandbox", "--lang", "ru", "--format", "json")
    report = json.loads(graded.stdout)
    assert report["sandbox"]["active"]["cpu time"].endswith("s of CPU per process (RLIMIT_CPU)")
    assert "  вкл   cpu time: 600 с процессорного времени на процесс (RLIMIT_CPU)" in graded.stderr.splitlines()
    assert "every process" not in graded.stderr


@pytest.mark.parametrize("command, first_words", [
    (["batch"], "использование: grade batch [-h] [--out РЕЗУЛЬТАТЫ]"),
    (["gradescope-bundle"], "использование: grade gradescope-bundle [-h] [--lang {en,ru}]"),
    (["release"], "использование: grade release [-h] [--path ПАПКА]"),
], ids=lambda value: value[0] if isinstance(value, list) else "")
def test_the_teachers_commands_have_their_help_in_russian(command, first_words):
    graded = run_grade(*command, "--help", "--lang", "ru", env=ENGLISH_LOCALE)
    assert graded.exit_code == 0, graded.stderr
    assert graded.stdout.startswith(first_words), graded.stdout
    assert not [word for word in ("usage", "options", "folder", "zip file to write", "Grade one") if word in graded.stdout]
    assert run_grade(*command, "--help", env=ENGLISH_LOCALE).stdout.startswith("usage: grade")


def test_a_batch_usage_error_is_russian_under_a_russian_locale(tmp_path):
    graded = run_grade("batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), env=RUSSIAN_LOCALE)
    assert graded.exit_code == 2 and graded.stderr == f"grade: {tmp_path / 'nowhere'}: такой папки нет\n"


def _one_student_class():
    exercise = load_catalog()["exercise2"]
    checks = [CheckResult(spec.name, spec.target, "failed" if i == 0 else "passed", 0 if i == 0 else spec.points,
                          spec.points, "visible") for i, spec in enumerate(exercise.checks)]
    record = Record("ivanov", ExerciseResult(exercise.id, exercise.title, checks), "hash", "catalog")
    return ClassResults([Student("ivanov", root=ROOT)], [exercise], {("ivanov", exercise.id): record}), exercise


def test_the_batch_summary_speaks_the_language_of_the_batch():
    book, exercise = _one_student_class()
    counts = Counts(graded=1, seconds=75)
    russian, english = summary_markdown(book, counts, "ru"), summary_markdown(book, counts, "en")
    assert russian.startswith("# Итоги проверки\n\nСтудентов: 1 (прислали работу: 1). В этот запуск: проверено 1,")
    assert "заняло 1 мин 15 с." in russian and "| упражнение | сдали | среднее | максимум |" in russian
    assert f"`{exercise.checks[0].name}`" in russian and "Нет." in russian
    assert english.startswith("# Batch summary\n\nStudents: 1 (1 with a submission).") and "took 1 min 15 s." in english
    page = summary_html(book, counts, "ru")
    assert '<html lang="ru">' in page and "<h2>Проверки, которые не проходят чаще всего</h2>" in page
    assert not [word for word in ("Batch summary", "Students:", "None.", "Checks failed") if word in page]
