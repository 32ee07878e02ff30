"""The sentences the student's own tools print (`grade list`, `grade hint`, `grade watch`, the parts
of the report that are not a check's feedback), as data: whole sentences per language in
`phrases.yaml`.

A number picks its plural form inside the sentence: `{count} {count:plural|thread|threads}` in
English, `{count} {count:plural|поток|потока|потоков}` in Russian (one, few, many).
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml

from grader.language import DEFAULT, LANGUAGES

PHRASES_FILE = Path(__file__).with_name("phrases.yaml")
_PLURAL = "plural|"


def plural_index(lang: str, count: int) -> int:
    """Which of a language's plural forms a count takes: English one/other, Russian one/few/many."""
    count = abs(int(count))
    if lang == "ru":
        if count % 10 == 1 and count % 100 != 11:
            return 0
        if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
            return 1
        return 2
    return 0 if count == 1 else 1


class _Formatter(string.Formatter):
    """str.format with one more format spec, `plural|form|form...`, for the language given."""

    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, format_spec: str):
        if format_spec.startswith(_PLURAL):
            forms = format_spec[len(_PLURAL):].split("|")
            return forms[min(plural_index(self.lang, value), len(forms) - 1)]
        return super().format_field(value, format_spec)


@lru_cache(maxsize=1)
def load(path: Path = PHRASES_FILE) -> dict[str, dict[str, str]]:
    """Every phrase by key (`list.next`), each a mapping of language to its template."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    phrases: dict[str, dict[str, str]] = {}
    for group, entries in raw.items():
        for name, texts in entries.items():
            phrases[f"{group}.{name}"] = {lang: str(text) for lang, text in texts.items()}
    return phrases


def say(key: str, lang: str = DEFAULT, **values) -> str:
    """The phrase `key` in `lang` (English where it lacks that language), with `values` filled in."""
    texts = load()[key]
    lang = lang if lang in LANGUAGES and lang in texts else DEFAULT
    return _Formatter(lang).format(texts[lang], **values)
