#!/usr/bin/env python3
"""HTTP(S) peer for the outbound client's integration tests.

Listens on 127.0.0.1:0 (or --bind ::1) (TLS with --cert/--key, plain HTTP without; --tls-1-1-only for an
outdated server), prints "port N" once bound,
and serves until killed. Routes:
  /echo           200 JSON: method, path, headers, body, sni (the TLS server name the client sent)
  /big/N          200 with Content-Length N
  /chunked/N      200 chunked, N bytes
  /slow/MS        waits MS milliseconds, then 200
  /redirect       302 to https://elsewhere.test/
  /status/N       status N with a short body
  /malformed      a status line that is not HTTP
  /hugeheader     a 200 whose head is 128 KiB
  /hangup         closes the connection without answering
"""
import argparse
import http.server
import json
import socket
import ssl
import sys
import time
import warnings


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature): keep test output clean
        pass

    def _send(self, status, body, content_type="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _route(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        head, arg = parts[0], (parts[1] if len(parts) > 1 else "")
        if head == "echo":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            sni = getattr(self.connection, "oh_sni", None)
            answer = {"method": self.command, "path": self.path,
                      "headers": [[k, v] for k, v in self.headers.items()], "body": body, "sni": sni}
            self._send(200, json.dumps(answer).encode(), "application/json")
        elif head == "big":
            self._send(200, b"x" * int(arg))
        elif head == "chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            remaining = int(arg)
            while remaining > 0:
                n = min(remaining, 64 * 1024)
                self.wfile.write(b"%x\r\n" % n + b"y" * n + b"\r\n")
                remaining -= n
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
        elif head == "slow":
            time.sleep(int(arg) / 1000.0)
            self._send(200, b"late")
        elif head == "redirect":
            self._send(302, b"moved", extra=[("Location", "https://elsewhere.test/")])
        elif head == "status":
            self._send(int(arg), b"status " + arg.encode())
        elif head == "malformed":
            self.wfile.write(b"HTCPCP/9.9 I'm a teapot\r\nwhat: ever\r\n\r\n")
            self.close_connection = True
        elif head == "hugeheader":
            self._send(200, b"ok", extra=[("X-Huge", "h" * (128 * 1024))])
        elif head == "hangup":
            self.close_connection = True
        else:
            self._send(404, b"no such route")

    do_GET = _route
    do_POST = _route


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    tls = None

    def get_request(self):
        sock, address = self.socket.accept()
        if self.tls is not None:
            # The handshake runs on the handler's thread (first read), so a client that never
            # completes it blocks only its own connection.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # refused handshakes are what several tests provoke


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--bind", default="127.0.0.1", help="listen address (::1 for IPv6)")
    parser.add_argument("--tls-1-1-only", action="store_true", help="an outdated server: TLS 1.0 and 1.1 only")
    args = parser.parse_args()
    if ":" in args.bind:
        Server.address_family = socket.AF_INET6
    server = Server((args.bind, 0), Handler)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.tls_1_1_only:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = ssl.TLSVersion.TLSv1_1

        def remember_sni(ssl_socket, server_name, _context):
            ssl_socket.oh_sni = server_name

        context.sni_callback = remember_sni
        server.tls = context
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
