"""Shared helpers for the project's tests: running the real `grade` command on a submission."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = Path(__file__).parent / "variants"
EXPECT_PATTERN = re.compile(r"^# expect-fail:(.*)$", re.MULTILINE)
FEEDBACK_PATTERN = re.compile(r"^# expect-feedback: (test_\w+): (.+)$", re.MULTILINE)


@dataclass
class Graded:
    """The outcome of one `grade` run."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    def statuses(self) -> dict[str, str]:
        return {c["name"]: c["status"] for e in self.report["exercises"] for c in e["checks"]}

    def check(self, name: str) -> dict:
        return next(c for e in self.report["exercises"] for c in e["checks"] if c["name"] == name)


def run_grade(*args: str, cwd: Path = ROOT, timeout: float = 240) -> Graded:
    """Run the real `grade` command (as `python -m grader`) and capture what it prints."""
    done = subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    return Graded(done.returncode, done.stdout, done.stderr)


def submission_with(tmp_path: Path, module: str, source: Path) -> Path:
    """A submission folder holding `source` under the exercise's file name."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    shutil.copy(source, folder / module)
    return folder


def expected_failures(variant: Path) -> set[str]:
    """The checks a variant declares it must fail, from its `# expect-fail: a, b` line."""
    match = EXPECT_PATTERN.search(variant.read_text(encoding="utf-8"))
    return {name.strip() for name in match.group(1).split(",") if name.strip()} if match else set()


def expected_feedback(variant: Path) -> list[tuple[str, str]]:
    """(check, phrase) pairs from `# expect-feedback: check: phrase` lines: the phrase must appear in
    that check's feedback."""
    return FEEDBACK_PATTERN.findall(variant.read_text(encoding="utf-8"))


def variants(exercise: str) -> list[Path]:
    """The realistic student submissions kept for an exercise under tests/variants/."""
    return sorted((VARIANTS / exercise).glob("*.py"))
