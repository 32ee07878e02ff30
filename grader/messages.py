"""Student-facing messages as data: a key and its values, rendered from per-language templates.

A check reports `Message("lock.lost_updates", call="count_with_lock(10, 1)", got=5, ...)`; the text
a student reads is made only when the message is rendered, in the language asked for. Messages travel
as plain data (`to_data`, `from_data`): from the grading child through the events into the report
and the JSON, so that a platform can render its own.

Templates: `grader/checks/messages/<lang>.yaml` (shared sentences) and `<part>.<lang>.yaml` (one part
of the grader's, such as an exercise: `exercise2.ru.yaml`), one entry per key; a key is defined once. An entry is a whole sentence (or
several lines), or a mapping with the parts `text`, `expected` and `hint`, rendered as lines, the
last two under the labels of `feedback.expected` and `feedback.hint`.

Template syntax (no code is evaluated):
  {name}                the value `name`
  {name:.0%}            the value formatted with a format specification (`format(value, ".0%")`)
  {name|one|other}      English: the word for the number `name` (1 thread, 2 threads)
  {name|one|few|many}   Russian: 1 поток, 2 потока, 5 потоков, 11 потоков, 21 поток
  {{ and }}             literal braces

A value is a string, a number, a nested message (rendered in the same language), a list of messages
(rendered one per line) or a text given in every language (`{"en": ..., "ru": ...}`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


from grader.language import DEFAULT, LANGUAGES

MESSAGES_DIR = Path(__file__).parent / "checks" / "messages"
PARTS = ("text", "expected", "hint")
# A student's value or message can be a whole data set: a string value is cut to this length.
MAX_VALUE_CHARS = 2000

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(?P<name>[a-z_][a-z0-9_]*)(?::(?P<spec>[^{}|]*))?(?:\|(?P<forms>[^{}]*))?\}")


class MessageError(Exception):
    """A template is missing or malformed: a bug in the grader, not in a submission."""


@dataclass(frozen=True)
class Message:
    """What to say, as a key and the values its templates name."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict:
        """Plain JSON-ready data: {"key": ..., "values": {...}}, nested messages as the same."""
        return {"key": self.key, "values": {name: _value_to_data(v) for name, v in self.values.items()}}

    @classmethod
    def from_data(cls, data: dict) -> "Message":
        """The message `to_data` made."""
        return cls(str(data["key"]), {name: _value_from_data(v) for name, v in dict(data.get("values") or {}).items()})


def msg(key: str, **values: Any) -> Message:
    """A message; string values are cut to `MAX_VALUE_CHARS` (they may come from a student's code)."""
    return Message(key, {name: _cut(value) for name, value in values.items()})


def _cut(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + " ..."
    return value


def _value_to_data(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_data()
    if isinstance(value, (list, tuple)):
        return [_value_to_data(v) for v in value]
    return value


def _value_from_data(value: Any) -> Any:
    if isinstance(value, dict) and "key" in value:
        return Message.from_data(value)
    if isinstance(value, list):
        return [_value_from_data(v) for v in value]
    return value


def plural_form(lang: str, number: Any, forms: list[str]) -> str:
    """The word of `forms` that goes with `number`: English one/other, Russian one/few/many."""
    if lang == "ru" and len(forms) == 3:
        if not isinstance(number, int) or isinstance(number, bool):
            return forms[1]  # a fraction takes the genitive singular: 1,5 секунды
        tens, units = abs(number) % 100, abs(number) % 10
        if units == 1 and tens != 11:
            return forms[0]
        return forms[1] if 2 <= units <= 4 and not 12 <= tens <= 14 else forms[2]
    if len(forms) == 2:
        return forms[0] if number == 1 else forms[1]
    raise MessageError(f"{lang}: plural needs {'3' if lang == 'ru' else '2'} forms, got {forms}")


def _read(path: Path) -> dict[str, Any]:
    # Imported here: the keeper builds messages without ever rendering one, and starts on every grading.
    from grader import yaml_text

    try:
        loaded = yaml_text.parse(path.read_text(encoding="utf-8"))
    except (OSError, yaml_text.YAMLError) as problem:
        raise MessageError(f"{path}: {problem}") from None
    if not isinstance(loaded, dict):
        raise MessageError(f"{path}: expected a mapping of keys to templates")
    return loaded


@lru_cache(maxsize=None)
def templates(lang: str) -> dict[str, Any]:
    """Every template of `lang`, by key, from its shared file and its files per part."""
    merged: dict[str, Any] = {}
    for path in [MESSAGES_DIR / f"{lang}.yaml", *sorted(MESSAGES_DIR.glob(f"*.{lang}.yaml"))]:
        for key, template in _read(path).items():
            if key in merged:
                raise MessageError(f"{path}: the key {key} is defined twice")
            merged[key] = template
    return merged


def placeholders(template: Any) -> set[str]:
    """The value names a template (a string or a mapping of parts) uses."""
    texts = template.values() if isinstance(template, dict) else [template]
    return {m["name"] for text in texts for m in PLACEHOLDER.finditer(str(text)) if m["name"]}


def render(message: Message | list | Any, lang: str = DEFAULT) -> str:
    """The text of a message (or a list of them, one per line) in `lang`."""
    if isinstance(message, list):
        return "\n".join(filter(None, (render(m, lang) for m in message)))
    if isinstance(message, dict) and set(message) <= set(LANGUAGES) and DEFAULT in message:
        return str(message.get(lang) or message[DEFAULT])
    if not isinstance(message, Message):
        return str(message)
    template = _template(message.key, lang)
    if not isinstance(template, dict):
        return _fill(str(template), message.values, lang).rstrip()
    lines = [_fill(str(template.get("text", "")), message.values, lang).rstrip()]
    for part in ("expected", "hint"):
        text = _fill(str(template.get(part, "")), message.values, lang).strip()
        if text:
            lines.append(_labelled(part, text, lang))
    return "\n".join(line for line in lines if line)


def _labelled(part: str, text: str, lang: str) -> str:
    label = msg("feedback.expected", expected=text) if part == "expected" else msg("feedback.hint", hint=text)
    return render(label, lang)


def _template(key: str, lang: str) -> Any:
    for language in (lang, DEFAULT):
        found = templates(language).get(key)
        if found is not None:
            return found
    raise MessageError(f"no template for message {key!r}")


def _fill(template: str, values: dict[str, Any], lang: str) -> str:
    def one(match: re.Match) -> str:
        if match[0] in ("{{", "}}"):
            return match[0][0]
        name = match["name"]
        if name not in values:
            raise MessageError(f"template {template!r} names {name!r}, which the message does not give")
        value = values[name]
        if match["forms"] is not None:
            return plural_form(lang, value, match["forms"].split("|"))
        if match["spec"]:
            return format(value, match["spec"])
        return render(value, lang)
    return PLACEHOLDER.sub(one, template)
