#!/usr/bin/env python3
"""A deliberately broken static server for tests: serves files under ROOT
on 127.0.0.1:PORT, but objects (paths under /objects/) are damaged:

  truncate  send the headers for the whole file, half the body, then close
  stall     send the headers and a few bytes, then nothing, forever
  flip      send the file with one byte changed
  ignore-range  serve whole files, ignoring Range headers
  truncate-pack, stall-pack  as truncate and stall, for ranges of packs
            (pack/*.pack) instead of objects
  endless   send the file without a length, then zeros forever (also
            for pack files, whose ranges are answered the same way)
  endless-200  as endless, always with status 200, ignoring Range
  error500  answer 500 for objects and packs
  reset     send the headers, half the body (of the range asked for, for
            packs), then reset the connection (TCP RST)
  trickle   send objects and packs (ranges too) one byte a second
  lie-size  answer ranges of packs with the right bytes, but a
            Content-Range giving the pack 4096 bytes more than it has

config.json is always served intact, so that a client gets as far as
fetching objects.
"""
import http.server
import os
import socket
import struct
import sys
import time

port, mode, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    def do_GET(self):
        path = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(path, "rb") as f:
            data = f.read()
        damaged = "/objects/" in self.path
        pack = self.path.endswith(".pack")
        rng = self.headers.get("Range")
        if mode == "error500" and (damaged or pack):
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode in ("reset", "trickle") and (damaged or pack):
            self.send_part(data, rng if pack else None)
            return
        if mode == "lie-size" and pack and rng:
            self.send_part(data, rng)
            return
        if mode in ("truncate-pack", "stall-pack") and self.path.endswith(".pack") and rng:
            a, b = rng.split("=", 1)[1].split("-")
            a, b = int(a), min(int(b), len(data) - 1)
            part = data[a:b + 1]
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (a, b, len(data)))
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            if mode == "truncate-pack":
                self.wfile.write(part[: len(part) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.wfile.write(part[:4])
                self.wfile.flush()
                time.sleep(3600)
            return
        if mode in ("endless", "endless-200") and (damaged or self.path.endswith(".pack")):
            self.send_response(206 if rng and mode == "endless" else 200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            zeros = bytes(65536)
            try:
                self.wfile.write(data)
                while True:
                    self.wfile.write(zeros)
            except (BrokenPipeError, ConnectionResetError):
                return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not damaged or mode == "ignore-range":
            self.wfile.write(data)
        elif mode == "truncate":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif mode == "stall":
            self.wfile.write(data[:4])
            self.wfile.flush()
            time.sleep(3600)
        elif mode == "flip":
            i = len(data) // 2
            self.wfile.write(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])

    def send_part(self, data, rng):
        """DATA, or the range RNG of it, as reset, trickle or lie-size
        want."""
        a, b = 0, len(data) - 1
        if rng:
            a, b = rng.split("=", 1)[1].split("-")
            a, b = int(a), min(int(b), len(data) - 1)
            self.send_response(206)
            total = len(data) + (4096 if mode == "lie-size" else 0)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (a, b, total))
        else:
            self.send_response(200)
        part = data[a:b + 1]
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        if mode == "lie-size":
            self.wfile.write(part)
            return
        if mode == "reset":
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            # Closed with a zero linger time: an RST, not a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        try:
            for i in range(len(part)):
                self.wfile.write(part[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
