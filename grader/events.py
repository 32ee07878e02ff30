"""The line protocol between a grading child and its supervisor, authenticated.

The child writes one JSON object per line as things happen, so that whatever it finished is known
even if it later hangs, crashes or exits. Events: `import` (phase `start` or `done`), `start` (a
check began) and `result` (a check's verdict as plain data).

The student's code runs in the same process and can find the pipe (its descriptor is inherited), so
every line carries a sequence number and an HMAC made with a per-run secret that the runner hands the
child on a separate pipe, read and closed before the student's module is imported. The runner takes
only lines whose HMAC and sequence number are right; any other line is evidence of tampering.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field

from grader.messages import Message, msg

IMPORT, START, RESULT = "import", "start", "result"
# pytest or the grader's own hooks failed in the child: a bug of the grader, never the student's.
INTERNAL_ERROR = "internal_error"
SECRET_BYTES = 32


def new_secret() -> bytes:
    """A fresh per-run secret."""
    return os.urandom(SECRET_BYTES)


def read_secret(fd: int) -> bytes:
    """Read the run's secret from `fd` and close it."""
    try:
        data = b""
        while len(data) < SECRET_BYTES:
            chunk = os.read(fd, SECRET_BYTES - len(data))
            if not chunk:
                break
            data += chunk
        return data
    finally:
        os.close(fd)


def _mac(secret: bytes, seq: int, body: str) -> str:
    return hmac.new(secret, f"{seq}\n{body}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Event:
    """One thing the child reported."""

    kind: str
    check: str = ""
    data: dict = field(default_factory=dict)

    def body(self) -> str:
        return json.dumps({"event": self.kind, "check": self.check, "data": self.data}, sort_keys=True)


class EventWriter:
    """Writes authenticated events to an inherited file descriptor, one write per event."""

    def __init__(self, fd: int, secret: bytes):
        self.fd, self._secret, self._seq = fd, secret, 0

    def send(self, event: Event) -> None:
        body = event.body()
        line = json.dumps({"seq": self._seq, "body": body, "mac": _mac(self._secret, self._seq, body)}) + "\n"
        self._seq += 1
        data = memoryview(line.encode())
        while data:
            data = data[os.write(self.fd, data):]


class EventChannel:
    """Hands the worker's event writer to the grader's plugin without putting it on a command line."""

    def __init__(self, writer: EventWriter):
        self.writer = writer


class EventReader:
    """Splits the bytes read from the child into authenticated events; anything else is recorded in
    `problems` (what was seen, for the report)."""

    def __init__(self, secret: bytes) -> None:
        self._secret, self._seq, self._buffer = secret, 0, b""
        self.problems: list[Message] = []

    def feed(self, chunk: bytes) -> list[Event]:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        events = []
        for line in lines:
            event = self._accept(line)
            if event is not None:
                events.append(event)
        return events

    def _accept(self, line: bytes) -> Event | None:
        try:
            outer = json.loads(line)
            seq, body, mac = int(outer["seq"]), str(outer["body"]), str(outer["mac"])
            raw = json.loads(body)
            event = Event(kind=str(raw["event"]), check=str(raw.get("check", "")), data=dict(raw.get("data") or {}))
        except (ValueError, KeyError, TypeError):
            self.problems.append(msg("events.not_an_event", line=repr(line[:80])))
            return None
        if not hmac.compare_digest(mac, _mac(self._secret, seq, body)):
            self.problems.append(msg("events.forged", kind=event.kind, check=event.check or "-"))
            return None
        if seq != self._seq:
            self.problems.append(msg("events.out_of_order", number=seq, expected=self._seq))
            return None
        self._seq += 1
        return event
