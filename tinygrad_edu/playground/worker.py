"""A session's training process: the playground trains here, never in the server.

Why a process: the engine is pure Python, so a thread that trains holds the interpreter lock
(the GIL) nearly all the time, and a dozen of them made the server's own threads wait
seconds for a turn (issue 13 measured a median of 20 s). The server process only answers
requests, from the last snapshot each worker sent. Workers run at a lower priority (``nice``
10), so a request is served before the next training step, and playing sessions share the
CPU equally.

A worker is a plain child process, ``python -c "…; process_main()" MAX_EPOCHS`` (unlike
multiprocessing's spawn, nothing of the server's own script runs again in it). It reads
numbered commands on its standard input — ``("new", seq, settings)`` (a new run, paused),
``("play", seq)``, ``("pause", seq)``, ``("step", seq)`` (one more epoch, then pause) — and
obeys them between two minibatches; the end of its input ends it. It writes back
``("snapshot", seq, body, info, status)``: the last command obeyed, the page's picture as
JSON bytes (``Run.snapshot``), what the server needs itself (epoch, metrics, weights), and
None or (status, message) when training stopped by itself (paused after a Step, finished
at the epoch limit, diverged, or an error: a bug, shown on the page). Each message is one
pickle, which marks its own end. With ``--picture`` it draws one boundary picture instead
(``run.picture_png``): (settings, weights, epoch) in, PNG bytes out.
"""
from __future__ import annotations

import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback

from .run import MAX_EPOCHS, Diverged, Run, picture_png
from .settings import check_settings

__all__ = ["main", "Trainer", "PUBLISH_EVERY", "NICE", "process_main", "Pipe", "read_message"]

PUBLISH_EVERY = 0.2
"""Seconds between snapshots while training, at least (one is also sent whenever it stops)."""
PICTURE_SHARE = 0.25
"""At most this share of a worker's time goes into snapshots: a slow picture is sent less often."""
NICE = 10
"""How much lower than the server a worker runs (Unix ``nice``; ignored elsewhere)."""


class Trainer:
    """One worker's state: its run, what it was told to do, and when to send a snapshot."""

    def __init__(self, reports, max_epochs: int = MAX_EPOCHS):
        self.reports = reports            # anything with ``send``: the report pipe
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
            self.stopped = self._finished()
        if self.stopped is not None:
            self._stop(*self.stopped)

    def _finished(self) -> tuple:
        return "finished", f"stopped after {self.max_epochs:,} epochs (the limit of one run)"

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
        if epoch_done and self.pending:
            self.pending -= 1
        if run.epoch >= self.max_epochs and (self.running or self.pending):
            return self._stop(*self._finished())
        if not (self.running or self.pending):  # a Step's last epoch, or a new run measured
            self.publish(("paused", None) if epoch_done else None)
        elif time.monotonic() >= self.next_publish:
            self.publish()

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
                body, info = self.run.snapshot()
            except Exception as err:  # a bug in a picture: the last good snapshot stays
                if self.stopped is None:
                    return self._fail("drawing", err)
                traceback.print_exc(file=sys.stderr)
        self.reports.send(("snapshot", self.seq, body, info, status))
        cost = time.monotonic() - start
        self.next_publish = start + max(PUBLISH_EVERY, cost / PICTURE_SHARE)


class Pipe:
    """Our end of a pipe to the other process: ``send`` writes one message (the worker's
    reports, the server's commands)."""

    def __init__(self, stream):
        self.stream = stream

    def send(self, message) -> None:
        pickle.dump(message, self.stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.stream.flush()


def read_message(stream):
    """The next message, or None at the end of the stream (or in a message cut short). Only
    ever reads what the other end of our own pipe wrote (never data from the network)."""
    try:
        return pickle.load(stream)
    except (EOFError, pickle.UnpicklingError):
        return None


def main(commands, reports, max_epochs: int = MAX_EPOCHS, nice: int = NICE) -> None:
    """Obey the commands read from ``commands`` and train, until that stream ends.

    A thread reads the commands into a queue, so the training loop can look for one
    between two minibatches without waiting."""
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    inbox = queue.SimpleQueue()

    def read_commands():
        while (command := read_message(commands)) is not None:
            inbox.put(command)
        inbox.put(None)

    threading.Thread(target=read_commands, daemon=True).start()
    trainer = Trainer(Pipe(reports), max_epochs)
    try:
        while True:
            try:  # waits here only while there is nothing to train
                command = inbox.get(block=not trainer.busy)
            except queue.Empty:
                trainer.work()
                continue
            if command is None:  # the server closed our input: this session is over
                return
            trainer.obey(command)
    except OSError:  # a broken pipe: the server stopped reading, it is gone
        return


def process_main() -> None:
    """The child process: standard input and output are the pipes to the server."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    output = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot garble a message
    sys.stdout = sys.stderr
    if sys.argv[1:] == ["--picture"]:
        settings, weights, epoch = read_message(sys.stdin.buffer)
        Pipe(output).send(picture_png(settings, weights, epoch))
    else:
        main(sys.stdin.buffer, output, int(sys.argv[1]))
