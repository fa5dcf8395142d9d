"""Sessions: one per browser tab, each with its own run, trained in its own process.

A page creates a session when it loads and names it (an unguessable id) in every request,
so two tabs never share a run. Each session has a training process (``worker``) and, in the
server, a thread that keeps the latest snapshot the worker sent (metrics, curves, boundary,
weights, as ready-made JSON): a poll reads it and returns at once, never waiting for
training. Settings, Reset, Play, Pause and Step change the session's status at once and send
the worker a numbered command; a new run's first picture is drawn by the server itself.

Limits: at most ``max_sessions`` sessions (so as many training processes, at a low
priority); a session nobody has asked about for ``idle_timeout`` seconds is closed with its
process, and a playing session whose page stopped polling for ``idle_pause`` s pauses.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import pickle
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..plots import PlotsUnavailable
from . import worker
from .run import MAX_EPOCHS, Run, build_model, export_document
from .settings import Settings, check_settings

__all__ = ["Session", "SessionStore", "TooManySessions", "Conflict"]

PICTURE_TIMEOUT = 120.0
"""Seconds a download of the boundary picture may take before the server gives up."""
STICKY = ("diverged", "error", "finished")
"""Statuses a worker reports about its run, which hold until a new run (not answers to a
command, so a newer command does not hide them)."""


def _worker_process(*args: str) -> dict:
    """``subprocess``'s arguments for a worker process with ``args``: it imports this very
    copy of the package, and is not in the terminal's process group (Ctrl-C is the server's)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    code = f"from {worker.__name__} import process_main; process_main()"
    return {"args": [sys.executable, "-c", code, *args], "start_new_session": os.name == "posix",
            "env": dict(os.environ, PYTHONPATH=root + (os.pathsep + path if path else ""))}


class TooManySessions(RuntimeError):
    """The session limit is reached."""


class Conflict(RuntimeError):
    """The request cannot be done in the run's present state (e.g. Play after divergence)."""


class Session:
    """One tab: its settings, its status, its training process and the latest snapshot."""

    def __init__(self, sid: str, settings: Settings, idle_pause: float,
                 max_epochs: int = MAX_EPOCHS):
        self.id = sid
        self.idle_pause = idle_pause
        self.max_epochs = max_epochs
        self.lock = threading.Lock()  # guards the status, the snapshot and the numbering
        self._send_lock = threading.Lock()  # commands leave in the order they were numbered
        self.closed = False
        self.last_contact = time.monotonic()
        self.version = 0
        self.seq = 0
        self._install(Run(settings))
        self._start_worker(self._command("new", settings.to_dict()))

    # ------------------------------------------------------------------ requests
    def configure(self, changes: dict) -> Run:
        """Check ``changes`` against the current settings and start a new run with them
        (paused). A refused setting raises ``SettingsError`` and changes nothing."""
        return self._replace(check_settings(changes, self.settings))

    def reset(self) -> Run:
        """A fresh run with the same settings (same seed: the same data and initial weights)."""
        return self._replace(self.settings)

    def _replace(self, settings: Settings) -> Run:
        run = Run(settings)  # built before taking a lock: polls go on meanwhile
        with self._send_lock:
            with self.lock:
                self._install(run)
                command = self._command("new", settings.to_dict())
                alive = self.process.poll() is None
            if alive:
                self._send(command)
            else:  # the worker died (its listener said so): start another one
                self._start_worker(command)
        return run

    def play(self) -> None:
        self._order("play", "running")

    def pause(self) -> None:
        self._order("pause", None)

    def step(self) -> None:
        """Train one more epoch, then pause (pauses first if playing)."""
        self._order("step", "stepping")

    def _order(self, kind: str, status: str | None, message: str | None = None) -> None:
        with self._send_lock:
            with self.lock:
                if status is None:  # pause
                    if self.status in ("running", "stepping"):
                        self.status, self.message = "paused", message
                else:
                    self._refuse_if_stuck()
                    self.status, self.message = status, None
                self.version += 1
                command = self._command(kind)
            self._send(command)

    def _refuse_if_stuck(self) -> None:
        if self.status == "diverged":
            raise Conflict("training diverged (the weights are no longer finite numbers): "
                           "press Reset or change a setting, e.g. a smaller learning rate")
        if self.status == "error":
            raise Conflict("training stopped after an internal error (see the message): "
                           "press Reset to start again")
        if self._info["epoch"] >= self.max_epochs:
            raise Conflict(f"this run reached the limit of {self.max_epochs:,} epochs; "
                           f"press Reset")

    def latest(self) -> tuple:
        """(settings, info) of the latest snapshot: info has epoch, metrics and weights."""
        with self.lock:
            return self.settings, self._info

    def export(self) -> dict:
        """The model file of the weights in the latest snapshot (``ModelFileError`` if they
        are not finite)."""
        settings, info = self.latest()
        return export_document(settings, info["weights"], info["epoch"], info["metrics"])

    def close(self) -> None:
        """End the session: its worker sees its input end and exits after its step."""
        with self.lock:
            self.closed = True
        with self._send_lock, contextlib.suppress(OSError):
            self.process.stdin.close()

    def stop_worker(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for the closed session's worker to exit, then end it."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5.0)
        self.thread.join(1.0)

    # ------------------------------------------------------------------ the snapshot
    def snapshot(self) -> bytes:
        """The latest state as JSON: status, message, version and ids, then the run's picture."""
        with self.lock:
            head = json.dumps({"version": self.version, "status": self.status,
                               "message": self.message, "session": self.id,
                               "run": self.run.id}).encode("utf-8")
            body = self._body
        return head[:-1] + b", " + body[1:]

    def state(self) -> dict:
        return json.loads(self.snapshot())

    def _install(self, run: Run) -> None:
        """Make ``run`` this session's run, paused, with its first picture (caller holds
        ``lock``, or nobody else can see the session yet)."""
        self.run, self.settings = run, run.settings
        self.status, self.message = "ready", None
        self._body, self._info = run.snapshot()
        self.version += 1
        self.run_seq = self.seq + 1  # the "new" command about to be numbered

    def _command(self, kind: str, *args) -> tuple:
        self.seq += 1
        return (kind, self.seq) + args

    def _send(self, command: tuple) -> None:
        """Send while holding ``_send_lock`` but not ``lock``: if the worker is in a long
        step and its pipe is full, only this request waits — never a poll. A worker that is
        gone (its listener says so) or closed is no error here."""
        with contextlib.suppress(OSError, ValueError):
            self.commands.send(command)

    # ------------------------------------------------------------------ the worker
    def _start_worker(self, first: tuple) -> None:
        self.process = subprocess.Popen(**_worker_process(str(self.max_epochs)),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.commands = worker.Pipe(self.process.stdin)
        self.commands.send(first)
        self.thread = threading.Thread(target=self._listen, args=(self.process,),
                                       name=f"playground-{self.id[:8]}", daemon=True)
        self.thread.start()

    def _listen(self, process) -> None:
        """Keep the worker's latest snapshot; when the worker ends unasked, say so."""
        try:
            while (report := worker.read_message(process.stdout)) is not None:
                self._receive(report)
        except (OSError, ValueError):  # the pipe closed under us
            pass
        finally:
            process.stdout.close()
        try:
            code = process.wait(5.0)
        except subprocess.TimeoutExpired:
            code = "unknown"
        with self.lock:
            if self.closed or process is not self.process:
                return
            self.status = "error"
            self.message = (f"the training process stopped unexpectedly (exit code "
                            f"{code}); press Reset to start again")
            self.version += 1

    def _receive(self, report: tuple) -> None:
        _, seq, body, info, status = report
        with self.lock:
            if seq < self.run_seq:  # about a run that was replaced since
                return
            if body is not None:
                self._body, self._info = body, info
                self.version += 1
            if status is not None and (status[0] in STICKY or seq == self.seq):
                self.status, self.message = status  # seq == self.seq: no newer command
                self.version += 1

    def pause_if_forgotten(self) -> None:
        """Pause a playing run whose page has not polled for ``idle_pause`` seconds."""
        idle = time.monotonic() - self.last_contact
        if self.status == "running" and idle > self.idle_pause:
            self._order("pause", None, f"paused: this page has not asked for news for "
                                       f"{idle:.0f} s (is its tab closed?)")


class SessionStore:
    """All sessions, bounded in number; sessions idle for ``idle_timeout`` s are closed."""

    def __init__(self, max_sessions: int = 16, idle_timeout: float = 900.0,
                 idle_pause: float = 120.0, max_epochs: int = MAX_EPOCHS):
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.idle_pause = idle_pause
        self.max_epochs = max_epochs
        self._sessions: dict[str, Session] = {}
        self._building = 0  # sessions being built: they count against max_sessions already
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._sweep_forever, name="playground-janitor",
                         daemon=True).start()

    def create(self, changes: dict | None = None) -> Session:
        """A new session with the defaults and ``changes`` (checked: ``SettingsError``)."""
        settings = check_settings(changes or {})
        self.sweep()
        with self._lock:
            if self._stop.is_set():
                raise TooManySessions("the playground server is stopping")
            if len(self._sessions) + self._building >= self.max_sessions:
                raise TooManySessions(
                    f"too many open sessions ({self.max_sessions}): close another tab of the "
                    f"playground, or wait {self.idle_timeout / 60:.0f} minutes for unused "
                    f"ones to expire")
            self._building += 1
        try:
            session = Session(secrets.token_urlsafe(18), settings, self.idle_pause,
                              self.max_epochs)
        finally:
            with self._lock:
                self._building -= 1
        with self._lock:
            stopping = self._stop.is_set()
            if not stopping:
                self._sessions[session.id] = session
        if stopping:  # close_all ran while this session was being built
            session.close()
            session.stop_worker(5.0)
            raise TooManySessions("the playground server is stopping")
        return session

    def peek(self, sid: str) -> Session | None:
        """The session, without counting this as the page asking about it."""
        with self._lock:
            return self._sessions.get(sid)

    def get(self, sid: str) -> Session | None:
        """The session, asked about by its page now (see ``idle_timeout``)."""
        session = self.peek(sid)
        if session is not None:
            session.last_contact = time.monotonic()
        return session

    def close(self, sid: str) -> bool:
        with self._lock:
            session = self._sessions.pop(sid, None)
        if session is not None:
            session.close()
        return session is not None

    def picture(self, session: Session) -> tuple:
        """(PNG bytes, epoch): the session's decision boundary as ``tinygrad_edu.plots``
        draws it, with the weights of its latest snapshot. Drawn in a process of its own:
        the picture of a big network is seconds of engine work, which in the server process
        would hold up every request. Raises ``PlotsUnavailable`` without matplotlib,
        ``ModelFileError`` for weights that are not finite, ``TimeoutError`` after
        ``PICTURE_TIMEOUT`` s, ``RuntimeError`` if drawing failed."""
        if importlib.util.find_spec("matplotlib") is None:
            raise PlotsUnavailable()
        settings, info = session.latest()
        build_model(settings).load_state_dict(info["weights"])  # refuses nan and inf
        try:
            done = subprocess.run(**_worker_process("--picture"), capture_output=True,
                                  input=pickle.dumps((settings, info["weights"], info["epoch"])),
                                  timeout=PICTURE_TIMEOUT)
        except subprocess.TimeoutExpired:  # run() has killed the process
            raise TimeoutError(f"drawing took more than {PICTURE_TIMEOUT:g} s") from None
        png = worker.read_message(io.BytesIO(done.stdout))
        if done.returncode != 0 or not isinstance(png, bytes):
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"]
            raise RuntimeError(f"drawing the picture failed: {lines[-1]}")
        return png, info["epoch"]

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def sweep(self) -> int:
        """Close sessions idle for longer than ``idle_timeout``; returns how many."""
        now = time.monotonic()
        with self._lock:
            expired = [sid for sid, s in self._sessions.items()
                       if now - s.last_contact > self.idle_timeout]
            closing = [self._sessions.pop(sid) for sid in expired]
        for session in closing:
            session.close()
        return len(closing)

    def _sweep_forever(self) -> None:
        """Close expired sessions; pause playing ones nobody watches."""
        tick = max(0.05, min(30.0, self.idle_timeout / 4, self.idle_pause / 4))
        while not self._stop.wait(tick):
            self.sweep()
            with self._lock:
                sessions = list(self._sessions.values())
            for session in sessions:
                session.pause_if_forgotten()

    def close_all(self, join_timeout: float = 5.0) -> None:
        """Close every session and wait (up to ``join_timeout`` s in all) for their workers."""
        with self._lock:
            self._stop.set()
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.close()
        deadline = time.monotonic() + join_timeout
        for session in sessions:
            session.stop_worker(max(0.0, deadline - time.monotonic()))
