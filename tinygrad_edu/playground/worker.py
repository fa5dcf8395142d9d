"""A session's training process: the playground trains here, never in the server.

Why a process and not a thread: the engine is pure Python, so a thread that trains holds the
interpreter lock (the GIL) nearly all the time, and a dozen of them made the server's own
threads wait seconds for a turn (issue 13 measured a median of 20 s). A process has an
interpreter of its own. The server process only answers requests, from the last snapshot
each worker sent; the operating system shares the cores among the workers. Workers run at a
lower priority (``nice`` 10), so a request that arrives is served before the next training
step, and equal priorities give every playing session an equal share of the CPU.

The conversation is two one-way pipes. The server sends commands, each numbered
(``seq``): ``("new", seq, settings)`` (a new run, paused), ``("play", seq)``,
``("pause", seq)``, ``("step", seq)`` (one more epoch, then pause); closing the pipe ends
the worker. The worker obeys them in order, between two minibatches, and sends back
``("snapshot", seq, body, info, status)``: ``seq`` is the last command it had obeyed,
``body`` the page's picture as JSON bytes (``Run.state``), ``info`` the numbers the server
needs itself (epoch, metrics, weights for an export), and ``status`` None or
(status, message) when training stopped by itself: paused after a Step, finished at the
epoch limit, diverged, or an error (a bug, reported on the page instead of killing anything).
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback

from .run import MAX_EPOCHS, Diverged, Run
from .settings import check_settings

__all__ = ["main", "Trainer", "PUBLISH_EVERY", "NICE"]

PUBLISH_EVERY = 0.2
"""Seconds between snapshots while training, at least (one is also sent whenever it stops)."""
PICTURE_SHARE = 0.25
"""At most this share of a worker's time goes into snapshots: a slow picture is sent less often."""
NICE = 10
"""How much lower than the server a worker runs (Unix ``nice``; ignored elsewhere)."""


class Trainer:
    """One worker's state: its run, what it was told to do, and when to send a snapshot."""

    def __init__(self, reports, max_epochs: int = MAX_EPOCHS):
        self.reports = reports            # a Connection (anything with ``send``)
        self.max_epochs = max_epochs
        self.run = None
        self.seq = 0
        self.running = False
        self.pending = 0                  # epochs still to train for Step
        self.stopped = None               # (status, message) once diverged or broken
        self.next_publish = 0.0

    @property
    def busy(self) -> bool:
        """Is there training (or the first measurement of a new run) to do?"""
        if self.run is None or self.stopped is not None:
            return False
        return self.running or self.pending > 0 or not self.run.evaluated

    # ------------------------------------------------------------------ commands
    def obey(self, command: tuple) -> None:
        kind, self.seq = command[0], command[1]
        if kind == "new":
            self.running, self.pending, self.stopped, self.run = False, 0, None, None
            try:
                self.run = Run(check_settings(command[2]))
            except Exception as err:  # a bug: settings were checked by the server already
                self._fail("building the run", err)
        elif kind == "play":
            self.running, self.pending = True, 0
            self._refuse_if_stuck()
        elif kind == "step":
            self.running, self.pending = False, min(self.pending + 1, 10)
            self._refuse_if_stuck()
        elif kind == "pause":
            was_training = self.running or self.pending
            self.running, self.pending = False, 0
            if was_training and self.run is not None:
                self.publish()  # the numbers where it stopped (the server shows "paused")
        else:
            raise ValueError(f"unknown command {kind!r}")

    def _refuse_if_stuck(self) -> None:
        """Play or Step on a run that cannot go on: say again why (the server may have
        shown another status meanwhile)."""
        if self.stopped is None and self.run is not None and self.run.epoch >= self.max_epochs:
            self.stopped = ("finished", f"stopped after {self.max_epochs:,} epochs "
                                        f"(the limit of one run)")
        if self.stopped is not None:
            self.running, self.pending = False, 0
            self.publish(self.stopped)

    # ------------------------------------------------------------------ training
    def work(self) -> None:
        """One minibatch (or the first measurement of a new run), then maybe a snapshot."""
        run = self.run
        try:
            if run.evaluated:
                epoch_done = run.train_step()
            else:
                run.evaluate()  # the epoch-0 losses, so a new run shows them at once
                epoch_done = False
        except Diverged as err:
            return self._stop("diverged", f"{err}. Press Reset, or lower the learning rate.")
        except Exception as err:  # a bug: say so on the page, keep the session alive
            return self._fail("training", err)
        status = None
        if epoch_done and self.pending:
            self.pending -= 1
            if not self.pending and not self.running:
                status = ("paused", None)
        if run.epoch >= self.max_epochs and (self.running or self.pending):
            return self._stop("finished", f"stopped after {self.max_epochs:,} epochs "
                                          f"(the limit of one run)")
        if status is not None or not (self.running or self.pending) \
                or time.monotonic() >= self.next_publish:
            self.publish(status)

    def _stop(self, status: str, message: str) -> None:
        self.running, self.pending = False, 0
        self.stopped = (status, message)
        self.publish(self.stopped)

    def _fail(self, doing: str, err: Exception) -> None:
        traceback.print_exc(file=sys.stderr)
        self._stop("error", f"internal error while {doing}: {type(err).__name__}: {err}")

    def publish(self, status=None) -> None:
        """Send the run as the page should see it now, with ``status`` if it stopped."""
        start = time.monotonic()
        body = info = None
        if self.run is not None:
            try:
                body = json.dumps(self.run.state(), allow_nan=False).encode("utf-8")
                info = {"epoch": self.run.epoch, "metrics": self.run.metrics(),
                        "weights": self.run.weights()}
            except Exception as err:  # a bug in a picture: the last good snapshot stays
                traceback.print_exc(file=sys.stderr)
                body = info = None
                if self.stopped is None:
                    self.running, self.pending = False, 0
                    self.stopped = status = ("error", f"internal error while drawing: "
                                                      f"{type(err).__name__}: {err}")
        self.reports.send(("snapshot", self.seq, body, info, status))
        cost = time.monotonic() - start
        self.next_publish = start + max(PUBLISH_EVERY, cost / PICTURE_SHARE)


def main(commands, reports, max_epochs: int = MAX_EPOCHS, nice: int = NICE) -> None:
    """The worker process: obey ``commands`` and train until the server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    trainer = Trainer(reports, max_epochs)
    try:
        while True:
            if not trainer.busy or commands.poll():
                trainer.obey(commands.recv())  # waits here while there is nothing to train
            else:
                trainer.work()
    except (EOFError, OSError):  # the server closed the pipes: this session is over
        pass
