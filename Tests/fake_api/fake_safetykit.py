#!/usr/bin/env python3
"""A scripted stand-in for the SafetyKit API on 127.0.0.1, for tests.

Usage: fake_safetykit.py SCENARIO.json LOG.jsonl
Prints the port it listens on, then serves until killed (or for at most 10 minutes).

The scenario says, per "namespace/request", which answers the status endpoint and the
download-url endpoint give, in order (the last one repeats), and which files /files/NAME serves:
{
  "key": "sk_test",
  "requests": {"ns/req": {"status": [{"code": 200, "headers": {}, "body": {...} or "raw text"}],
                          "download_url": [...]}},
  "files": {"NAME": {"path": "...", "chunk": 65536, "delay": 0.0, "refuse_first": 0, "refuse_code": 403,
                     "no_ranges": false, "no_content_range": false, "refuse_requests": [2]}}
refuse_requests lists which requests for the file (counting from 0) are refused; cut_requests,
which are cut off after cut_after body bytes.
Files honour "Range: bytes=a-b" (206 with Content-Range) unless no_ranges is set.
}
Strings in bodies may contain {base}, replaced with http://127.0.0.1:PORT.
Every request is appended to LOG as {"t": seconds, "path": ..., "query": ..., "auth": ...}.
"""
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# A parent may pass SIGTERM on blocked or ignored; make it stop this server again.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
signal.signal(signal.SIGTERM, signal.SIG_DFL)
scenario = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
lock = threading.Lock()
counters = {}
base = ""


def substitute(value):
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [substitute(v) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v) for k, v in value.items()}
    return value


def next_answer(key, answers):
    with lock:
        i = counters.get(key, 0)
        counters[key] = i + 1
    return answers[min(i, len(answers) - 1)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        # A client that stops reading mid-body is normal here; keep tracebacks out of test output.
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def record(self, parts):
        entry = {"t": time.time(), "path": parts.path, "query": parts.query,
                 "auth": self.headers.get("Authorization")}
        with lock, open(log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def send(self, code, body, headers=None):
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = urlsplit(self.path)
        self.record(parts)
        segments = parts.path.strip("/").split("/")
        if segments[:1] == ["files"] and len(segments) == 2:
            return self.serve_file(segments[1])
        if self.headers.get("Authorization") != "Bearer " + scenario["key"]:
            return self.send(401, {"error": "invalid api key"})
        if len(segments) >= 5 and segments[:2] == ["v1", "data"] and segments[3] == "requests":
            key = segments[2] + "/" + segments[4]
            spec = scenario["requests"].get(key)
            if spec is None:
                return self.send(404, {"error": "request not found"})
            kind = "download_url" if segments[5:] == ["results", "download-url"] else "status"
            answer = substitute(next_answer(key + "#" + kind, spec[kind]))
            return self.send(answer.get("code", 200), answer.get("body", ""), answer.get("headers"))
        self.send(404, {"error": "no such route"})

    def serve_file(self, name):
        spec = scenario["files"].get(name)
        if spec is None:
            return self.send(404, "no such file")
        with lock:
            number = counters.get("served#" + name, 0)
            counters["served#" + name] = number + 1
        if number in spec.get("refuse_requests", []) or \
                next_answer("file#" + name, [True] * spec.get("refuse_first", 0) + [False]):
            return self.send(spec.get("refuse_code", 403), "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
        data = open(spec["path"], "rb").read()
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes=") and not spec.get("no_ranges"):
            first, _, last = wanted[6:].partition("-")
            first = int(first)
            last = min(int(last) if last else len(data) - 1, len(data) - 1)
            if first >= len(data):
                return self.send(416, "", {"Content-Range": "bytes */%d" % len(data)})
            self.send_response(206)
            if not spec.get("no_content_range"):
                self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))
            data = data[first:last + 1]
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk, delay = spec.get("chunk", 65536), spec.get("delay", 0.0)
        if number in spec.get("cut_requests", []):
            # Send part of the body, then drop the connection without finishing the chunked stream.
            part = data[:spec.get("cut_after", len(data) // 2)]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        for i in range(0, len(data), chunk):
            piece = data[i:i + chunk]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            if delay:
                time.sleep(delay)
        self.wfile.write(b"0\r\n\r\n")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
base = "http://127.0.0.1:%d" % server.server_address[1]
print(server.server_address[1], flush=True)
stopper = threading.Timer(600, server.shutdown)
stopper.daemon = True
stopper.start()
server.serve_forever()
