"""Sessions: one per browser tab, each with its own run and its own training thread.

A tab's page creates a session when it loads and names it in every request (an
unguessable id), so two tabs never share a run. Each session's thread trains while the
session is playing and sleeps otherwise; after every epoch (at most a few times a second)
it publishes a snapshot — metrics, curves, boundary, weights — as ready-made JSON, so the
page's polls are answered at once and never wait for training. Settings, Reset and Play
only flip flags or swap in a new run: nothing a request does waits for a training step.

Limits: at most ``max_sessions`` sessions; a session nobody has asked about for
``idle_timeout`` seconds is closed, and a playing session whose page stopped polling for
``idle_pause`` seconds pauses itself.
"""
from __future__ import annotations

import json
import secrets
import sys
import threading
import time
import traceback

from .run import MAX_EPOCHS, Diverged, Run
from .settings import Settings, check_settings

__all__ = ["Session", "SessionStore", "TooManySessions", "Conflict"]

PUBLISH_EVERY = 0.2
"""Seconds between snapshots while training (one is also published whenever it pauses)."""


class TooManySessions(RuntimeError):
    """The session limit is reached."""


class Conflict(RuntimeError):
    """The request cannot be done in the run's present state (e.g. Play after divergence)."""


class Session:
    """One tab's run, its training thread and its latest snapshot."""

    def __init__(self, sid: str, settings: Settings, idle_pause: float):
        self.id = sid
        self.settings = settings
        self.idle_pause = idle_pause
        self.cond = threading.Condition()
        self.running = False
        self.pending_epochs = 0
        self.closed = False
        self.status = "ready"
        self.message = None
        self.last_contact = time.monotonic()
        self.version = 0
        self._body = b"{}"
        self._published_at = 0.0
        self.run = Run(settings)
        self.publish(self.run)
        self.thread = threading.Thread(target=self._loop, name=f"playground-{sid[:8]}",
                                       daemon=True)
        self.thread.start()

    # ------------------------------------------------------------------ requests
    def touch(self) -> None:
        self.last_contact = time.monotonic()

    def configure(self, changes: dict) -> Run:
        """Check ``changes`` against the current settings and start a new run with them
        (paused). A refused setting raises ``SettingsError`` and changes nothing."""
        settings = check_settings(changes, self.settings)
        return self._replace(Run(settings), settings)

    def reset(self) -> Run:
        """A fresh run with the same settings (same seed: the same data and initial weights)."""
        return self._replace(Run(self.settings), self.settings)

    def _replace(self, run: Run, settings: Settings) -> Run:
        with self.cond:
            self.settings = settings
            self.run = run
            self.running = False
            self.pending_epochs = 0
            self.status, self.message = "ready", None
            self._changed()
            self.cond.notify_all()
        self.publish(run)
        return run

    def play(self) -> None:
        with self.cond:
            self._refuse_if_stuck()
            self.running = True
            self.status, self.message = "running", None
            self._changed()
            self.cond.notify_all()

    def pause(self) -> None:
        with self.cond:
            self.running = False
            self.pending_epochs = 0
            if self.status in ("running", "stepping"):
                self.status = "paused"
            self._changed()

    def step(self) -> None:
        """Train one more epoch, then pause (pauses first if playing)."""
        with self.cond:
            self._refuse_if_stuck()
            self.running = False
            self.pending_epochs = min(self.pending_epochs + 1, 10)
            self.status, self.message = "stepping", None
            self._changed()
            self.cond.notify_all()

    def _refuse_if_stuck(self) -> None:
        if self.status == "diverged":
            raise Conflict("training diverged (the weights are no longer finite numbers): "
                           "press Reset or change a setting, e.g. a smaller learning rate")
        if self.run.epoch >= MAX_EPOCHS:
            raise Conflict(f"this run reached the limit of {MAX_EPOCHS:,} epochs; press Reset")

    def export(self) -> dict:
        run = self.run
        with run.lock:
            return run.export()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.running = False
            self.cond.notify_all()

    # ------------------------------------------------------------------ the snapshot
    def publish(self, run: Run, status: tuple | None = None) -> None:
        """Make the page's next poll see ``run`` as it is now (if it is still this session's),
        together with ``status`` = (status, message) if given: a poll never sees "paused"
        next to the numbers of an epoch before.

        Called by the training thread; requests that only change the status (Play, Pause,
        Step) do not call it, so they never wait for a training step to finish.
        """
        with run.lock:
            state = {
                "session": self.id,
                "run": run.id,
                "epoch": run.epoch,
                "steps": run.steps,
                "lr": run.optimizer.lr,
                "metrics": run.metrics(),
                "history": run.curves(),
                "boundary": run.boundary(),
                "network": run.network(),
                "settings": run.settings.to_dict(),
            }
        body = json.dumps(state, allow_nan=False).encode("utf-8")
        with self.cond:
            if self.run is not run:
                return
            self.version += 1
            self._body = body
            self._published_at = time.monotonic()
            if status is not None and not (self.running or self.pending_epochs):
                self.status, self.message = status

    def _changed(self) -> None:
        """The status changed (the caller holds ``cond``): polls must see a new version."""
        self.version += 1

    def snapshot(self) -> bytes:
        """The latest state as JSON: status, message and version, then the run's snapshot."""
        with self.cond:
            head = json.dumps({"version": self.version, "status": self.status,
                               "message": self.message}).encode("utf-8")
            body = self._body
        return head[:-1] + b", " + body[1:]

    def state(self) -> dict:
        return json.loads(self.snapshot())

    # ------------------------------------------------------------------ the training thread
    def _loop(self) -> None:
        while True:
            with self.cond:
                while not self.closed and not (self.running or self.pending_epochs
                                               or self._needs_first_measure()):
                    self.cond.wait(timeout=1.0)
                if self.closed:
                    return
                run = self.run
                train = self.running or self.pending_epochs
                idle = time.monotonic() - self.last_contact
                if self.running and idle > self.idle_pause:
                    self.running = False
                    self.status = "paused"
                    self.message = (f"paused: this page has not asked for news for "
                                    f"{idle:.0f} s (is its tab closed?)")
                    self._changed()
                    continue
            try:
                with run.lock:
                    if self.run is not run:
                        continue
                    if train:
                        epoch_done = run.train_step()
                    elif not run.evaluated:
                        run.evaluate()  # the epoch-0 losses, so a new run shows them at once
                        epoch_done = True
            except Diverged as err:
                self._stop(run, "diverged", f"{err}. Press Reset, or lower the learning rate.")
                continue
            except Exception as err:  # a bug: say so on the page, keep the server alive
                traceback.print_exc(file=sys.stderr)
                self._stop(run, "error", f"internal error while training: "
                                         f"{type(err).__name__}: {err}")
                continue
            try:
                if train:
                    self._after_step(run, epoch_done)
                else:
                    self.publish(run)
            except Exception as err:  # a bug in a picture: same as above
                traceback.print_exc(file=sys.stderr)
                self._stop(run, "error", f"internal error while publishing: "
                                         f"{type(err).__name__}: {err}")

    def _needs_first_measure(self) -> bool:
        return not self.run.evaluated and self.status not in ("diverged", "error")

    def _after_step(self, run: Run, epoch_done: bool) -> None:
        status = None
        with self.cond:
            if self.run is not run:
                return
            if epoch_done and self.pending_epochs:
                self.pending_epochs -= 1
                if not self.pending_epochs and not self.running:
                    status = ("paused", None)
            if run.epoch >= MAX_EPOCHS and (self.running or self.pending_epochs):
                self.running = False
                self.pending_epochs = 0
                status = ("finished",
                          f"stopped after {MAX_EPOCHS:,} epochs (the limit of one run)")
        if status is not None or time.monotonic() - self._published_at >= PUBLISH_EVERY:
            self.publish(run, status)

    def _stop(self, run: Run, status: str, message: str) -> None:
        """Stop training ``run`` and say why (diverged, error); never raises."""
        with self.cond:
            if self.run is not run:
                return
            self.running = False
            self.pending_epochs = 0
            self.status, self.message = status, message
            self._changed()
        try:
            self.publish(run)
        except Exception:  # the status above is set; the last good snapshot stays
            traceback.print_exc(file=sys.stderr)


class SessionStore:
    """All sessions, bounded in number; sessions idle for ``idle_timeout`` s are closed."""

    def __init__(self, max_sessions: int = 16, idle_timeout: float = 900.0,
                 idle_pause: float = 120.0):
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.idle_pause = idle_pause
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._janitor = threading.Thread(target=self._sweep_forever, name="playground-janitor",
                                         daemon=True)
        self._janitor.start()

    def create(self, changes: dict | None = None) -> Session:
        """A new session with the defaults and ``changes`` (checked: ``SettingsError``)."""
        settings = check_settings(changes or {})
        self.sweep()
        with self._lock:
            if self._stop.is_set():
                raise TooManySessions("the playground server is stopping")
            if len(self._sessions) >= self.max_sessions:
                raise TooManySessions(
                    f"too many open sessions ({self.max_sessions}): close another tab of the "
                    f"playground, or wait {self.idle_timeout / 60:.0f} minutes for unused "
                    f"ones to expire")
            sid = secrets.token_urlsafe(18)
            self._sessions[sid] = None  # reserve the place while the run is built
        try:
            session = Session(sid, settings, self.idle_pause)
        except BaseException:
            with self._lock:
                self._sessions.pop(sid, None)
            raise
        with self._lock:
            stopping = self._stop.is_set()
            if not stopping:
                self._sessions[sid] = session
        if stopping:  # close_all ran while this session was being built
            session.close()
            raise TooManySessions("the playground server is stopping")
        return session

    def get(self, sid: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(sid)
        if session is not None:
            session.touch()
        return session

    def peek(self, sid: str) -> Session | None:
        """The session, without counting this as the page asking about it."""
        with self._lock:
            return self._sessions.get(sid)

    def close(self, sid: str) -> bool:
        with self._lock:
            session = self._sessions.pop(sid, None)
        if session is None:
            return False
        session.close()
        return True

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions.values() if s is not None)

    def sweep(self) -> int:
        """Close sessions idle for longer than ``idle_timeout``; returns how many."""
        now = time.monotonic()
        with self._lock:
            expired = [sid for sid, s in self._sessions.items()
                       if s is not None and now - s.last_contact > self.idle_timeout]
            closing = [self._sessions.pop(sid) for sid in expired]
        for session in closing:
            session.close()
        return len(closing)

    def _sweep_forever(self) -> None:
        while not self._stop.wait(min(30.0, max(0.05, self.idle_timeout / 4))):
            self.sweep()

    def close_all(self, join_timeout: float = 5.0) -> None:
        """Close every session and wait (up to ``join_timeout`` s) for their threads."""
        with self._lock:
            self._stop.set()
            sessions = [s for s in self._sessions.values() if s is not None]
            self._sessions.clear()
        for session in sessions:
            session.close()
        deadline = time.monotonic() + join_timeout
        for session in sessions:
            session.thread.join(max(0.0, deadline - time.monotonic()))
