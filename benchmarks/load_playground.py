"""The playground under load: how fast the server answers while many heavy sessions train.

For each session count it starts a fresh server (``python -m tinygrad_edu.playground --port 0``,
a separate process, on 127.0.0.1 only), opens that many sessions with the heavy settings of
issue 13 (spirals, 5 classes, 1,000 points, hidden [16, 16, 16, 16], batch 1, softmax + CE),
presses Play on each, and then for ``--duration`` seconds:

* one loop per session polls ``GET /api/sessions/<id>/state?since=<version>`` the way the page
  does (every 150 ms while training, on a keep-alive connection);
* one more loop asks ``GET /api/options`` every 250 ms (a new tab loading its form).

Every request has a ``--timeout`` (20 s, as in the issue) and counts as a time-out when it
passes; each loop stops at the deadline or after ``--max-requests`` requests. It prints the
latency median, 95th percentile and maximum of both kinds of request, the time-outs, the
sessions, the training done meanwhile (minibatch steps per second, all sessions together)
and the machine's load average (the machine may be shared).

    python benchmarks/load_playground.py                       # 4, 12 and 16 sessions, 30 s each
    python benchmarks/load_playground.py --sessions 12 --duration 20
    python benchmarks/load_playground.py --source /tmp/old     # another checkout (before/after)
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

HEAVY = {"dataset": "spirals", "classes": 5, "samples": 1000, "hidden": [16, 16, 16, 16],
         "batch_size": 1, "output": "softmax_ce"}
PAGE_POLL = 0.15     # seconds between a training page's polls (app.js: 150 ms while busy)
OPTIONS_EVERY = 0.25


class Client:
    """One keep-alive connection to the server, as one browser tab keeps it."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.conn = None

    def request(self, method: str, path: str, body=None):
        """(status, JSON) of one request; raises TimeoutError past the timeout. A kept-alive
        connection the server has closed meanwhile (idle for 30 s) is reopened once."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (OSError, http.client.HTTPException) as err:
                self.close()
                if isinstance(err, TimeoutError):
                    raise
                if not reused or attempt == 2:
                    raise ConnectionError(f"{method} {path}: {type(err).__name__}: {err}") \
                        from None
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, json.loads(payload)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Tally:
    """Latencies of one kind of request, and how many timed out or failed."""

    def __init__(self):
        self.seconds, self.timeouts, self.errors = [], 0, 0
        self.lock = threading.Lock()

    def timed(self, client: Client, method: str, path: str, body=None):
        start = time.perf_counter()
        try:
            status, payload = client.request(method, path, body)
        except TimeoutError:
            with self.lock:
                self.timeouts += 1
            return None
        except ConnectionError:
            with self.lock:
                self.errors += 1
            return None
        with self.lock:
            self.seconds.append(time.perf_counter() - start)
            if status >= 400:
                self.errors += 1
        return payload if status < 400 else None

    def summary(self) -> dict:
        xs = sorted(self.seconds)
        if not xs:
            return {"n": 0, "median": None, "p95": None, "max": None,
                    "timeouts": self.timeouts, "errors": self.errors}
        return {"n": len(xs), "median": statistics.median(xs),
                "p95": xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))], "max": xs[-1],
                "timeouts": self.timeouts, "errors": self.errors}


def start_server(source: str):
    """``python -m tinygrad_edu.playground --port 0`` with ``source`` first on the path."""
    env = dict(os.environ, PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_edu.playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=source)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()[-2000:]}")
    return proc, int(match.group(1))


def stop_server(proc) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def measure(port: int, sessions: int, duration: float, timeout: float, max_requests: int,
            warmup: float) -> dict:
    """Open ``sessions`` heavy sessions, play them all, and poll for ``duration`` seconds."""
    setup = Client(port, max(timeout, 60.0))
    created = Tally()
    sids = []
    for _ in range(sessions):
        state = created.timed(setup, "POST", "/api/sessions", {"settings": HEAVY})
        if state is None:
            raise SystemExit(f"could not create session {len(sids) + 1}")
        sids.append(state["session"])
        created.timed(setup, "POST", f"/api/sessions/{state['session']}/play", {})
    time.sleep(warmup)
    start_steps = {sid: setup.request("GET", f"/api/sessions/{sid}/state")[1]["steps"]
                   for sid in sids}
    polls, options = Tally(), Tally()
    begin = time.monotonic()
    deadline = begin + duration

    def page(sid):
        client, version = Client(port, timeout), None
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            path = f"/api/sessions/{sid}/state" + (f"?since={version}" if version else "")
            state = polls.timed(client, "GET", path)
            if state is not None:
                version = state["version"]
            time.sleep(PAGE_POLL)
        client.close()

    def form():
        client = Client(port, timeout)
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            options.timed(client, "GET", "/api/options")
            time.sleep(OPTIONS_EVERY)
        client.close()

    threads = [threading.Thread(target=page, args=(sid,)) for sid in sids]
    threads.append(threading.Thread(target=form))
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 2 * timeout + 10)
    elapsed = time.monotonic() - begin
    final = [setup.request("GET", f"/api/sessions/{sid}/state")[1] for sid in sids]
    per_session = [s["steps"] - start_steps[sid] for sid, s in zip(sids, final)]
    steps = sum(per_session)
    for sid in sids:
        setup.request("DELETE", f"/api/sessions/{sid}")
    setup.close()
    both = Tally()
    for tally in (polls, options):
        both.seconds += tally.seconds
        both.timeouts += tally.timeouts
        both.errors += tally.errors
    return {"sessions": sessions, "seconds": round(elapsed, 1), "all": both.summary(),
            "state": polls.summary(), "options": options.summary(),
            "create": created.summary(), "steps_per_s": steps / elapsed,
            "statuses": sorted({s["status"] for s in final}),
            "steps_per_session": [min(per_session), max(per_session)],
            "epochs": [s["epoch"] for s in final]}


def _ms(x) -> str:
    return "—" if x is None else f"{x * 1e3:,.0f} ms" if x < 10 else f"{x:,.1f} s"


def show(result: dict, load_before: tuple, load_after: tuple) -> None:
    print(f"\n{result['sessions']} heavy sessions playing, {result['seconds']} s "
          f"(load average {load_before[0]:.2f} before, {load_after[0]:.2f} after):")
    for kind in ("all", "state", "options", "create"):
        s = result[kind]
        print(f"  {kind:>8}: {s['n']:5d} answered  median {_ms(s['median']):>9}  "
              f"p95 {_ms(s['p95']):>9}  max {_ms(s['max']):>9}  timeouts {s['timeouts']}"
              f"  errors {s['errors']}")
    low, high = result["steps_per_session"]
    print(f"  training: {result['steps_per_s']:,.0f} steps/s in all sessions together "
          f"({low:,}–{high:,} steps per session); statuses {result['statuses']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[4, 12, 16])
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds of polling per session count (default 30)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds between the last Play and the first timed poll")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="a request slower than this counts as timed out (default 20 s)")
    parser.add_argument("--max-requests", type=int, default=2000,
                        help="at most this many requests per loop (default 2,000)")
    parser.add_argument("--source", default=ROOT,
                        help="the checkout whose tinygrad_edu is served (default: this one)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    print(f"serving {os.path.abspath(args.source)}; {os.cpu_count()} cores; Python "
          f"{sys.version.split()[0]}; settings {json.dumps(HEAVY)}")
    results = []
    for n in args.sessions:
        proc, port = start_server(args.source)
        try:
            before = os.getloadavg()
            result = measure(port, n, args.duration, args.timeout, args.max_requests,
                             args.warmup)
            after = os.getloadavg()
        finally:
            stop_server(proc)
        result["load_before"], result["load_after"] = before, after
        show(result, before, after)
        results.append(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"source": os.path.abspath(args.source), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
