"""The grader writes its own bytecode before it starts grading children, who cannot."""
from __future__ import annotations

from pathlib import Path

from grader import bytecode


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text("VALUE = 1\n")
    return package


def test_a_module_without_bytecode_gets_it(tmp_path, monkeypatch):
    package = _package(tmp_path)
    monkeypatch.setattr(bytecode, "PACKAGE", package)
    bytecode.ensure_compiled.__wrapped__()
    assert list((package / "__pycache__").glob("module.*.pyc"))


def test_a_folder_it_cannot_write_is_left_as_it_is_without_a_word(tmp_path, monkeypatch, capsys):
    package = _package(tmp_path)
    # A file where the bytecode folder would go: writing fails even for root, as in a read-only copy.
    (package / "__pycache__").write_text("")
    monkeypatch.setattr(bytecode, "PACKAGE", package)
    bytecode.ensure_compiled.__wrapped__()
    assert (package / "__pycache__").is_file()
    assert capsys.readouterr() == ("", "")


def test_the_grader_is_compiled_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setattr(bytecode.compileall, "compile_dir", lambda *args, **kwargs: calls.append(args))
    bytecode.ensure_compiled.cache_clear()
    try:
        bytecode.ensure_compiled()
        bytecode.ensure_compiled()
    finally:
        bytecode.ensure_compiled.cache_clear()
    assert calls == [(bytecode.PACKAGE,)]
