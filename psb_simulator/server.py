# pylint: disable=missing-return  # socketserver hooks, not Odoo methods
"""HTTP server and request handler: reading, faults, latency, auth, routing, logging, answering."""

import contextlib
import ipaddress
import logging
import secrets
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from . import api, control
from .auth import AuthError
from .faults import DROP, LOSE_ANSWER, RATE_LIMIT
from .reqlog import LoggedRequest, redact_form, redact_headers, redact_token_answer
from .wire import ApiError, error_reply

_logger = logging.getLogger(__name__)

TOKEN_PATH = "/connect/token"  # noqa: S105 (a path)
API_PREFIX = "/api/v1/"
BETA_API_PREFIX = "/api/v1-beta/"
CONTROL_PREFIX = "/_sim"


class _BodyTooLarge(Exception):
    pass


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, sim, address, handler):
        self.sim = sim
        self._connections = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def verify_request(self, request, client_address):
        """Nothing of the simulator answers outside loopback: other clients are cut off unanswered."""
        return _is_loopback(client_address[0])

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self):
        """Cut keep-alive connections so that no client keeps talking to a stopped simulator."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()


def make_server(sim):
    return SimulatorHTTPServer(sim, (sim.host, sim.port), SimulatorHandler)


def _is_loopback(host):
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if address.is_loopback:
        return True
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(mapped and mapped.is_loopback)


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "eConnect-PSB-Simulator/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this

    def setup(self):
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ------------------------------------------------------------------------------
    def log_message(self, format, *args):
        if self.server.sim.verbose:
            sys.stderr.write("psb-simulator %s - %s\n" % (self.address_string(), format % args))

    def _read_body(self, limit):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > limit:
                    raise _BodyTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise _BodyTooLarge()
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, reply, head_only=False):
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # Status line, headers and body in one write: separate small writes on a keep-alive
        # connection meet the client's delayed ACK (~40 ms per request).
        buffer = getattr(self, "_headers_buffer", None)
        if buffer is None:  # HTTP/0.9: no headers at all
            if reply.body and not head_only:
                self.wfile.write(reply.body)
        else:
            buffer.append(b"\r\n")
            if reply.body and not head_only:
                buffer.append(reply.body)
            self.flush_headers()
        self.wfile.flush()

    def _drop(self):
        """Close the connection without any response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- entry points --------------------------------------------------------------------------
    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_OPTIONS(self):
        self._handle("OPTIONS")

    def _handle(self, method):
        sim = self.server.sim
        started = time.time()
        parts = urlsplit(self.path)
        raw_path = parts.path or "/"
        path = unquote(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            body = self._read_body(sim.max_request_bytes)
        except (_BodyTooLarge, ValueError):
            self.close_connection = True
            self._write(error_reply(413, "The request body is too large."))
            return

        if raw_path == CONTROL_PREFIX or raw_path.startswith(CONTROL_PREFIX + "/"):
            self._handle_control(method, raw_path, query, body)
            return

        entry = LoggedRequest(
            method=method,
            path=path,
            query=query,
            headers=redact_headers(dict(self.headers.items())),
            body=redact_form(body) if raw_path == TOKEN_PATH else body,
            time=started,
            raw_path=self.path,
            client=self.client_address[0],
        )
        document_id = self.headers.get(api.DOCUMENT_ID_HEADER)
        if document_id:
            entry.document_id = document_id.strip()
        try:
            decision = sim.faults.decide(self.path, path)
            delay = sim.latency + decision.delay
            if delay > 0:
                time.sleep(delay)
            rule = decision.rule
            if rule is not None and rule.kind == DROP:
                entry.dropped = True
                entry.duration = time.time() - started
                sim.log.append(entry)
                self._drop()
                return
            if rule is not None and rule.kind == LOSE_ANSWER:
                # done at the PSB, but the answer never reaches the client (as when the caller dies mid-call)
                reply = self._route(sim, method, raw_path, path, query, body, entry)
                entry.status = reply.status
                entry.dropped = True
                entry.duration = time.time() - started
                sim.log.append(entry)
                self._drop()
                return
            if rule is not None:
                headers = {"Retry-After": _retry_after(rule.retry_after)} if rule.kind == RATE_LIMIT else {}
                message = "Too many requests." if rule.kind == RATE_LIMIT else "Simulated failure."
                reply = error_reply(rule.status, message, headers=headers)
            else:
                reply = self._route(sim, method, raw_path, path, query, body, entry)
        except Exception as exc:  # a simulator bug must still answer (and show up in the test)
            _logger.exception("PSB simulator: error handling %s %s", method, self.path)
            reply = error_reply(500, "Simulator error: %s: %s" % (type(exc).__name__, exc), "API500")
        entry.status = reply.status
        entry.error_code = reply.error_code
        entry.response_headers = dict(reply.headers)
        if reply.content_type:
            entry.response_headers["Content-Type"] = reply.content_type
        entry.response_body = redact_token_answer(reply.body) if raw_path == TOKEN_PATH else reply.body
        entry.duration = time.time() - started
        sim.log.append(entry)
        sim.changed()
        self._write(reply, head_only=method == "HEAD")

    def _route(self, sim, method, raw_path, path, query, body, entry):
        if raw_path == TOKEN_PATH:
            if method != "POST":
                return error_reply(405, "Use POST.", headers={"Allow": "POST"})
            return sim.auth.token_endpoint(self.headers, body)
        beta = raw_path.startswith(BETA_API_PREFIX)
        if not beta and not raw_path.startswith(API_PREFIX):
            return error_reply(404, "No route %s %s." % (method, path), "API404")
        try:
            principal = sim.auth.principal(self.headers.get("Authorization"))
        except AuthError as exc:
            return error_reply(
                401,
                exc.description,
                "API401",
                {
                    "WWW-Authenticate": 'Bearer error="invalid_token", error_description="%s"'
                    % exc.description.replace('"', "'")
                },
            )
        entry.extra["subject"] = principal.subject
        segments = [unquote(s) for s in raw_path[len(BETA_API_PREFIX if beta else API_PREFIX) :].split("/")]
        if segments and segments[-1] == "":
            segments.pop()
        ctx = api.Context(sim, method, segments, query, self.headers, body, principal, entry)
        try:
            return api.dispatch(ctx, beta=beta)
        except ApiError as exc:
            return exc.reply()

    def _handle_control(self, method, raw_path, query, body):
        sim = self.server.sim
        segments = [unquote(s) for s in raw_path[len(CONTROL_PREFIX) :].split("/") if s]
        if not control.open_route(sim, method, segments) and not secrets.compare_digest(
            (self.headers.get(control.TOKEN_HEADER) or "").encode(), sim.control_token.encode()
        ):
            self._write(error_reply(401, "The control API needs the simulator's control token.", "API401"))
            return
        try:
            reply = control.handle(sim, method, segments, query, self.headers, body)
            if method not in ("GET", "HEAD"):
                sim.changed()
        except ApiError as exc:
            reply = exc.reply()
        except Exception as exc:
            _logger.exception("PSB simulator: control error %s %s", method, self.path)
            reply = error_reply(500, "Simulator error: %s: %s" % (type(exc).__name__, exc), "API500")
        self._write(reply)


def _retry_after(value):
    number = float(value)
    return str(int(number)) if number == int(number) else str(number)
