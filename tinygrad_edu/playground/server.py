"""The playground's web server: the page, its files, and a small JSON API.

Standard library only, but for the boundary picture's download (matplotlib, the ``plot`` extra).

``serve(port)`` listens on 127.0.0.1 and opens nothing else (no browser, no outside
connection); everything the page needs is in ``static/``. Endpoints (JSON in and out):

====== ========================================= ===============================================
GET    /                                         the page
GET    /static/<file>                            its script, style sheet and icon
GET    /api/options                              choices, limits and defaults for the form
POST   /api/sessions                             new session (one per tab); body: settings
GET    /api/sessions/<id>/state[?since=<v>]      latest snapshot (``{"version": v}`` if unchanged)
GET    /api/sessions/<id>/data                   the data set: training and validation points
POST   /api/sessions/<id>/settings               change settings: checked, then a new run (paused)
POST   /api/sessions/<id>/<action>               ``<action>``: play, pause, step or reset
GET    /api/sessions/<id>/model                  the trained model as a JSON file (download)
GET    /api/sessions/<id>/picture                its decision boundary as a PNG (download)
DELETE /api/sessions/<id>                        close the session (the page does it on unload)
GET    /api/backprop/examples                    backprop mode's examples
POST   /api/backprop                             a graph and its adjoint trace rows to step through
====== ========================================= ===============================================

Errors are JSON ``{"error": message, "field": name}`` with status 400 (a refused setting),
404 (unknown session: expired or the server restarted), 409 (not possible now), 413, 415
or 503 (too many sessions). Requests must name this server as their Host, POSTs must send
``Content-Type: application/json`` and come from no other Origin — so another web site
cannot read or drive the playground from a browser.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import mimetypes
import re
import socket
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..checks import too_deep
from ..plots import PlotsUnavailable
from ..serialize import ModelFileError
from . import backprop
from .session import Conflict, SessionStore, TooManySessions
from .settings import SettingsError, options

__all__ = ["PlaygroundServer", "create_server", "serve", "main", "add_arguments",
           "run_command"]

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024
MAX_DEPTH = 8
"""Levels of nesting a request body may have (the deepest real one, settings.hidden, has 3)."""
TOO_DEEP = f"the body is nested too deeply (at most {MAX_DEPTH} levels)"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

PAGES = {"/": "index.html", "/index.html": "index.html", "/favicon.ico": "favicon.svg"}
_SESSION_PATH = re.compile(r"^/api/sessions/([A-Za-z0-9_-]{8,64})(?:/([a-z]+))?$")
_STATIC_PATH = re.compile(r"^/static/([A-Za-z0-9_-]+\.(?:js|css|svg|png|ico|html))$")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "style-src 'self'; script-src 'self'; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


REFUSALS = {SettingsError: HTTPStatus.BAD_REQUEST, backprop.BackpropError: HTTPStatus.BAD_REQUEST,
            Conflict: HTTPStatus.CONFLICT, TooManySessions: HTTPStatus.SERVICE_UNAVAILABLE,
            PlotsUnavailable: HTTPStatus.SERVICE_UNAVAILABLE}
"""The status that answers each refusal of the layers below."""


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


class PlaygroundServer(ThreadingHTTPServer):
    """An HTTP server holding the sessions; one thread per request, daemon threads."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, store: SessionStore | None = None, quiet: bool = True):
        self.store = store if store is not None else SessionStore()
        self.quiet = quiet
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, PlaygroundHandler)  # on failure it calls server_close

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening, end every open (keep-alive) connection, close every session."""
        super().server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.store.close_all()


class PlaygroundHandler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    server_version = "tinygrad-edu-playground"
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds an idle keep-alive connection is kept open

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload, extra: dict | None = None):
        body = payload if isinstance(payload, bytes) else \
            json.dumps(payload, allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8",
                   {"Cache-Control": "no-store", **(extra or {})})

    def _error(self, err: ApiError):
        payload = {"error": str(err)}
        if err.field is not None:
            payload["field"] = err.field
        self._json(err.status, payload)

    def _check_host(self):
        """Refuse requests addressed to another name (DNS rebinding: a web site whose name
        resolves to 127.0.0.1 must not be able to read or drive the playground)."""
        host = (self.headers.get("Host") or "").strip().lower()
        bound, port = self.server.server_address[:2]
        if host not in {f"{name}:{port}" for name in (*LOOPBACK_NAMES, bound)}:
            raise ApiError(HTTPStatus.FORBIDDEN, f"this server answers only to "
                                                 f"http://127.0.0.1:{port}/ (got Host {host!r})")
        origin = self.headers.get("Origin")
        if origin is not None and origin.strip().lower() != f"http://{host}" \
                and self.command not in ("GET", "HEAD"):
            raise ApiError(HTTPStatus.FORBIDDEN, "requests from other web pages are refused")

    def _check_framing(self) -> int:
        """The length of the request's body, which only a POST may have.

        Whatever body the server does not read stays in the connection and would be parsed
        as the next request: a GET whose body is itself an HTTP request would get two
        answers on one keep-alive connection. So a body on any other method, a chunked body,
        or a Content-Length that is not one plain number is refused, and the connection is
        closed after the answer."""
        lengths = self.headers.get_all("Content-Length") or []
        chunked = self.headers.get("Transfer-Encoding") is not None
        text = lengths[0].strip() if lengths else "0"
        if chunked or len(lengths) > 1 or not (text.isascii() and text.isdigit()):
            self.close_connection = True
            raise ApiError(HTTPStatus.BAD_REQUEST, "send a request body with one Content-Length "
                                                   "header (a plain number of bytes) and no "
                                                   "Transfer-Encoding")
        length = int(text)
        if length and self.command != "POST":
            self.close_connection = True
            raise ApiError(HTTPStatus.BAD_REQUEST, f"a {self.command} request has no body "
                                                   f"(got Content-Length {length})")
        return length

    def _body(self) -> dict:
        length = self._check_framing()
        if length > MAX_BODY:
            if length <= 16 * MAX_BODY:  # read it anyway, so the client sees the answer
                self.rfile.read(length)
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           f"request body too large ({length} bytes; at most {MAX_BODY})")
        raw = self.rfile.read(length) if length > 0 else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":  # also for an empty body: a web form cannot send it
            raise ApiError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                           "send the body as JSON (Content-Type: application/json)")
        if not raw:
            return {}
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON: {err}") from None
        except RecursionError:
            raise ApiError(HTTPStatus.BAD_REQUEST, TOO_DEEP) from None
        except ValueError as err:  # an integer with more digits than Python converts
            raise ApiError(HTTPStatus.BAD_REQUEST, f"a number in the body is too long: "
                                                   f"{err}") from None
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        if too_deep(body, MAX_DEPTH):
            raise ApiError(HTTPStatus.BAD_REQUEST, TOO_DEEP)
        return body

    def _dispatch(self):
        """Every method comes here: check the framing and the Host, route, answer errors."""
        method = "GET" if self.command == "HEAD" else self.command
        try:
            self._check_framing()  # first: any refusal must not leave a body unread
            self._check_host()
            url = urlsplit(self.path)
            self._route(method, url.path, parse_qs(url.query))
        except ApiError as err:
            if method == "POST":
                self.close_connection = True  # the body may not have been read
            self._error(err)
        except tuple(REFUSALS) as err:
            self._error(ApiError(REFUSALS[type(err)], str(err), getattr(err, "field", None)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as err:  # a bug: answer, log, and keep serving
            traceback.print_exc(file=sys.stderr)
            self._error(ApiError(HTTPStatus.INTERNAL_SERVER_ERROR,
                                 f"internal error: {type(err).__name__}: {err}"))

    do_GET = do_HEAD = do_POST = do_DELETE = do_PUT = _dispatch

    # ------------------------------------------------------------------ routes
    def _route(self, method: str, path: str, query: dict):
        match = _STATIC_PATH.match(path)
        if path in PAGES or match:
            self._only(method, "GET")
            return self._static(PAGES.get(path) or match.group(1))
        if path in self.ENDPOINTS:
            allowed, answer = self.ENDPOINTS[path]
            self._only(method, allowed)
            return self._json(*answer(self))
        match = _SESSION_PATH.match(path)
        if match:
            return self._session_route(method, match.group(1), match.group(2), query)
        raise ApiError(HTTPStatus.NOT_FOUND, f"no such page or endpoint: {path}")

    @staticmethod
    def _only(method: str, *allowed: str):
        if method not in allowed:
            raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED,
                           f"{method} is not allowed here (use {' or '.join(allowed)})")

    def _static(self, name: str):
        path = STATIC / name
        if not path.is_file():
            raise ApiError(HTTPStatus.NOT_FOUND, f"no such file: {name}")
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml"):
            ctype += "; charset=utf-8"
        self._send(200, path.read_bytes(), ctype, {"Cache-Control": "no-cache"})

    def _create(self) -> tuple:
        return 201, self.server.store.create(self._body().get("settings", {})).snapshot()

    def _backprop(self) -> tuple:
        return 200, backprop.describe(*backprop.build(self._body()))

    ENDPOINTS = {"/api/options": ("GET", lambda _: (200, options())),
                 "/api/sessions": ("POST", _create),
                 "/api/backprop/examples": ("GET", lambda _: (200, backprop.presets())),
                 "/api/backprop": ("POST", _backprop)}
    """Path → (its method, the answer: handler → (status, JSON payload))."""

    def _session_route(self, method: str, sid: str, action: str | None, query: dict):
        if action is None:
            self._only(method, "DELETE")
            if not self.server.store.close(sid):
                raise ApiError(HTTPStatus.NOT_FOUND, "no such session")
            return self._json(200, {"closed": sid})
        session = self.server.store.get(sid)
        if session is None:
            raise ApiError(HTTPStatus.NOT_FOUND, "no such session: it expired or the server "
                                                 "was restarted; reload the page")
        if action in self.SESSION_VIEWS:
            self._only(method, "GET")
            return self.SESSION_VIEWS[action](self, session, query)
        self._only(method, "POST")
        body = self._body()
        if action == "settings":
            session.configure(body.get("settings", body))
        elif action in ("reset", "play", "pause", "step"):
            getattr(session, action)()
        else:
            raise ApiError(HTTPStatus.NOT_FOUND, f"no such action: {action}")
        self._json(200, session.snapshot())

    def _state(self, session, query: dict):
        if query.get("since", [None])[0] == str(session.version):
            return self._json(200, {"version": session.version, "unchanged": True})
        self._json(200, session.snapshot())

    def _data(self, session, query: dict):
        self._json(200, session.run.points())

    def _model(self, session, query: dict):
        try:
            document = session.export()
        except ModelFileError as err:
            raise ApiError(HTTPStatus.CONFLICT, f"cannot export this model: {err}") from None
        about = document["playground"]
        name = f"tinygrad-edu-{about['settings']['dataset']}-epoch{about['epoch']}.json"
        self._json(200, json.dumps(document, indent=1).encode("utf-8"),
                   {"Content-Disposition": f'attachment; filename="{name}"'})

    def _picture(self, session, query: dict):
        try:
            png, epoch = self.server.store.picture(session)
        except ModelFileError as err:
            raise ApiError(HTTPStatus.CONFLICT, f"cannot draw this model: {err}") from None
        except TimeoutError:
            raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "drawing the picture took too "
                                                           "long; try again") from None
        name = f"tinygrad-edu-{session.settings.dataset}-boundary-epoch{epoch}.png"
        self._send(200, png, "image/png", {"Cache-Control": "no-store",
                                           "Content-Disposition": f'attachment; filename="{name}"'})

    SESSION_VIEWS = {"state": _state, "data": _data, "model": _model, "picture": _picture}
    """What a GET of ``/api/sessions/<id>/<view>`` answers with."""


# ---------------------------------------------------------------- starting it
def create_server(port: int = 8000, host: str = "127.0.0.1", quiet: bool = True,
                  **store_options) -> PlaygroundServer:
    """A ready server (not yet serving); ``port=0`` picks a free port (see ``.url``)."""
    return PlaygroundServer((host, port), SessionStore(**store_options), quiet=quiet)


def serve(port: int = 8000, host: str = "127.0.0.1", quiet: bool = True) -> None:
    """Serve the playground until Ctrl-C; prints the address to open."""
    server = create_server(port, host, quiet)
    print(f"tinygrad_edu playground: open {server.url} in your browser "
          f"(Ctrl-C stops the server)", flush=True)
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("\nstopping the playground (exported models and pictures are in your "
              "downloads folder)", flush=True)
    finally:
        server.server_close()


DESCRIPTION = ("Serve the playground on http://127.0.0.1:PORT/ and open nothing else: pick a data "
               "set and a network, press Play and watch it learn, or step through backprop one "
               "adjoint row at a time. Ctrl-C stops the server.")
"""The command's description in ``tinygrad-edu playground --help`` and ``main``'s ``--help``."""


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``playground`` command's options to ``parser`` (``tinygrad-edu playground``)."""
    parser.add_argument("--port", type=int, default=8000,
                        help="port on 127.0.0.1 to serve on (default 8000; 0 picks a free one)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(argv=None) -> int:
    """``tinygrad-edu playground [--port 8000]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="tinygrad-edu playground", description=DESCRIPTION)
    try:
        args = add_arguments(parser).parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has printed
        return exit_.code if isinstance(exit_.code, int) else 2
    return run_command(args)


def run_command(args) -> int:
    """Serve until Ctrl-C with parsed arguments (``port``, ``verbose``). Exit status 0, or
    2 for a port that is invalid or already in use (with a message saying what to do)."""
    if not 0 <= args.port <= 65535:
        print(f"playground: --port must be between 0 and 65535, got {args.port}",
              file=sys.stderr)
        return 2
    try:
        serve(args.port, quiet=not args.verbose)
    except OSError as err:
        print(f"playground: cannot listen on 127.0.0.1:{args.port}: {err.strerror or err}"
              f" — is another server using that port? Try --port {args.port + 1}, or --port 0 "
              f"for any free port.", file=sys.stderr)
        return 2
    return 0
