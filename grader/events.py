"""The line protocol between a grading child and its supervisor.

The child writes one JSON object per line as things happen, so that whatever it finished is known
even if it later hangs, crashes or exits. Events: `import` (phase `start` or `done`), `start`
(a check began) and `result` (a check's verdict as plain data).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

IMPORT, START, RESULT = "import", "start", "result"


@dataclass
class Event:
    """One thing the child reported."""

    kind: str
    check: str = ""
    data: dict = field(default_factory=dict)

    def encode(self) -> bytes:
        return (json.dumps({"event": self.kind, "check": self.check, "data": self.data}) + "\n").encode()

    @classmethod
    def decode(cls, line: bytes) -> "Event | None":
        """Parse one line; a line that is not a well-formed event yields None."""
        try:
            raw = json.loads(line)
            return cls(kind=str(raw["event"]), check=str(raw.get("check", "")), data=dict(raw.get("data") or {}))
        except (ValueError, KeyError, TypeError):
            return None


class EventWriter:
    """Writes events to an inherited file descriptor, one unbuffered write per event."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, event: Event) -> None:
        data = memoryview(event.encode())
        while data:
            data = data[os.write(self.fd, data):]


class EventReader:
    """Splits the bytes read from the child into events."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[Event]:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [event for event in map(Event.decode, lines) if event is not None]
