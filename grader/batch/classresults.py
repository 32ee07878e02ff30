"""The class as the outputs see it: every student, the exercises asked for, and the result in force
for each student and exercise."""
from __future__ import annotations

from dataclasses import dataclass

from grader.batch.discover import Student
from grader.batch.store import Record
from grader.catalog import Exercise
from grader.report import CheckResult, ExerciseResult, submission_status

NO_SUBMISSION = "no submission"


@dataclass
class ClassResults:
    """Students, exercises and the latest record of each (student, exercise) graded so far."""

    students: list[Student]
    exercises: list[Exercise]
    records: dict[tuple[str, str], Record]

    def result(self, student: Student, exercise: Exercise) -> ExerciseResult | None:
        record = self.records.get((student.id, exercise.id))
        return record.result if record else None

    def results(self, student: Student) -> list[ExerciseResult]:
        """The student's results graded so far, in catalog order."""
        found = (self.result(student, exercise) for exercise in self.exercises)
        return [result for result in found if result is not None]

    def possible(self, exercise: Exercise) -> float:
        """The points an exercise is worth, hidden checks included (a batch grades them)."""
        return sum(spec.points for spec in exercise.checks)

    def total_possible(self) -> float:
        return sum(self.possible(exercise) for exercise in self.exercises)

    def total(self, student: Student) -> float:
        return sum(result.score for result in self.results(student))

    def status(self, student: Student) -> str:
        """The student's status: "no submission" (on the roster, nothing handed in), or that of their checks."""
        if not student.submitted:
            return NO_SUBMISSION
        checks: list[CheckResult] = [check for result in self.results(student) for check in result.checks]
        return submission_status(checks)


def points(value: float) -> str:
    """Points as a spreadsheet reads them: 3, 2.5."""
    return f"{value:g}"
