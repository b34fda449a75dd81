#!/usr/bin/env python3
"""Drive a headless Chromium through its DevTools protocol, for tests.

    browser.py PORT_FILE URL OUT [--width=N] [--no-js] [--screenshot=PNG] [--scroll-width]

PORT_FILE is the DevToolsActivePort file Chromium writes into its
--user-data-dir.  Opens URL in a new tab of that width (900 px high),
waits until the page's <html> has data-state "done" or "error" (set by
silo.js when it has finished; with --no-js, until the load event), at
most 60 s, then writes its DOM (outerHTML) to OUT and, with
--screenshot, a PNG of the whole page.  With --scroll-width it prints
"SCROLL-WIDTH n", the width of the laid out page and of its boxes that
scroll sideways (wider than --width when the reader must scroll).  Prints, one a line, the
requests the page made ("REQUEST url") and what went wrong in it
("CONSOLE level text", "EXCEPTION text", "FAILED url reason"), and exits
1 when the page did not finish.  Only the standard library: a small
WebSocket client (RFC 6455) is below.
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class WebSocket:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("the browser closed the connection")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("no WebSocket: " + head.decode(errors="replace"))

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + body)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("the browser closed the connection")
            buf += chunk
        return buf

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            data = self._exact(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise RuntimeError("the browser closed the WebSocket")
            if opcode in (9, 10):
                continue
            message += data
            if b0 & 0x80:
                return message.decode()


class Tab:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mine:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) if "=" in a else (a[2:], "1")
                for a in sys.argv[1:] if a.startswith("--"))
    port_file, url, out = args
    width = int(opts.get("width", "1400"))
    with open(port_file) as f:
        port = f.read().split("\n")[0].strip()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(req, timeout=30) as r:
        target = json.load(r)
    tab = Tab(WebSocket(target["webSocketDebuggerUrl"]))
    for domain in ("Page", "Runtime", "Network", "Log"):
        tab.call(f"{domain}.enable")
    tab.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
             deviceScaleFactor=1, mobile=width < 600)
    if "no-js" in opts:
        tab.call("Emulation.setScriptExecutionDisabled", value=True)
    tab.call("Page.navigate", url=url)
    finished = False
    deadline = time.monotonic() + 60
    if "no-js" in opts:
        while not finished and time.monotonic() < deadline:
            finished = any(e["method"] == "Page.loadEventFired" for e in tab.events)
            if not finished:
                tab.events.append(json.loads(tab.ws.recv()))
    else:
        # Wait for the page's own signal, in the page: no polling here.
        expr = """new Promise((resolve) => {
            const ready = () => ['done', 'error'].includes(document.documentElement.dataset.state);
            if (document.readyState !== 'loading' && ready()) return resolve(true);
            new MutationObserver((m, o) => { if (ready()) { o.disconnect(); resolve(true); } })
                .observe(document.documentElement, { attributes: true });
            setTimeout(() => resolve(false), 55000);
        })"""
        # The navigation may not have committed yet: wait for the load.
        while not any(e["method"] == "Page.loadEventFired" for e in tab.events):
            if time.monotonic() > deadline:
                break
            tab.events.append(json.loads(tab.ws.recv()))
        res = tab.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        finished = res.get("result", {}).get("value") is True
    dom = tab.call("Runtime.evaluate", expression="document.documentElement.outerHTML",
                   returnByValue=True)["result"]["value"]
    with open(out, "w") as f:
        f.write(dom + "\n")
    if "scroll-width" in opts:
        # DevTools evaluates it even with the page's scripts off.
        # The widest of the page and its boxes that scroll sideways.
        expr = """Math.max(document.documentElement.scrollWidth, ...Array.from(
            document.querySelectorAll('*'), (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
                ? Math.ceil(e.getBoundingClientRect().left) + e.scrollWidth : 0))"""
        res = tab.call("Runtime.evaluate", expression=expr, returnByValue=True)
        print("SCROLL-WIDTH", res["result"]["value"])
    if "screenshot" in opts:
        shot = tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(opts["screenshot"], "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    for e in tab.events:
        m, p = e["method"], e.get("params", {})
        if m == "Network.requestWillBeSent":
            print("REQUEST", p["request"]["url"])
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            print("FAILED", p.get("requestId"), p.get("errorText"))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            print("CONSOLE", p["type"], " ".join(str(a.get("value", a.get("description")))
                                                 for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            print("EXCEPTION", d.get("exception", {}).get("description", d.get("text")))
        elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            print("CONSOLE", p["entry"]["level"], p["entry"]["text"], p["entry"].get("url", ""))
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/json/close/{target['id']}"), timeout=30).read()
    sys.exit(0 if finished else 1)


if __name__ == "__main__":
    main()
