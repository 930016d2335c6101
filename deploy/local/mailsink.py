"""Development mail sink for `make run`: an SMTP server that keeps every message it receives and
a small web page showing them (nothing is delivered anywhere).

    python deploy/local/mailsink.py --smtp-port 2525 --http-port 8025

Messages are kept as .eml files under var/mail/. ``GET /`` lists them, ``GET /m/<n>`` shows one
(HTML parts in a sandboxed frame: no scripts, no outside requests), ``GET /messages.json`` lists
them for scripts.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "libs" / "servicekit"))

from servicekit.testing.smtp import Received, SmtpSink  # noqa: E402


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()

    def add(self, item: Received) -> None:
        with self.lock:
            name = f"{time.time_ns()}.eml"
            (self.folder / name).write_bytes(item.raw)

    def all(self) -> list[tuple[str, email.message.EmailMessage]]:
        out = []
        for path in sorted(self.folder.glob("*.eml"), reverse=True)[:500]:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            out.append((path.stem, message))
        return out

    def get(self, key: str):
        path = self.folder / f"{key}.eml"
        if not key.isdigit() or not path.exists():
            return None
        return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def make_handler(store: Store):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def _send(self, status: int, body: str, ctype: str = "text/html; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'",
            )
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/messages.json":
                items = [
                    {
                        "id": key,
                        "from": str(m["From"]),
                        "to": str(m["To"]),
                        "subject": str(m["Subject"]),
                        "date": str(m["Date"] or ""),
                        "list_unsubscribe": str(m["List-Unsubscribe"] or ""),
                    }
                    for key, m in store.all()
                ]
                return self._send(200, json.dumps(items), "application/json")
            if self.path.startswith("/raw/"):
                message = store.get(self.path[5:])
                if message is None:
                    return self._send(404, "not found", "text/plain")
                part = message.get_body(preferencelist=("html",))
                # Served as an inert document inside a sandboxed iframe.
                return self._send(200, part.get_content() if part else "", "text/html")
            if self.path.startswith("/m/"):
                key = self.path[3:]
                message = store.get(key)
                if message is None:
                    return self._send(404, "<p>No such message.</p>")
                text = message.get_body(preferencelist=("plain",))
                headers = "".join(
                    f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in message.items()
                )
                has_html = message.get_body(preferencelist=("html",)) is not None
                frame = (
                    (
                        f'<iframe sandbox src="/raw/{key}" style="width:100%;height:480px;'
                        'border:1px solid #ccc"></iframe>'
                    )
                    if has_html
                    else ""
                )
                return self._send(
                    200,
                    PAGE.format(
                        title=html.escape(str(message["Subject"])),
                        body=f"<p><a href='/'>&larr; all messages</a></p>"
                        f"<table>{headers}</table>{frame}<h3>Text part</h3>"
                        f"<pre>{html.escape(text.get_content() if text else '')}"
                        "</pre>",
                    ),
                )
            rows = "".join(
                f"<tr><td>{html.escape(str(m['Date'] or ''))}</td>"
                f"<td>{html.escape(str(m['To']))}</td>"
                f"<td><a href='/m/{key}'>{html.escape(str(m['Subject']))}</a></td></tr>"
                for key, m in store.all()
            )
            return self._send(
                200,
                PAGE.format(
                    title="Mail sink",
                    body="<p>Every message the suite sent (nothing left this "
                    "machine).</p><table><tr><th>Date</th><th>To</th><th>Subject</th></tr>"
                    f"{rows}</table>",
                ),
            )

    return Handler


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:.3rem .6rem;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}}pre{{white-space:pre-wrap;background:#f7f7f7;padding:1rem}}
</style></head><body><h1>{title}</h1>{body}</body></html>"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "mail")
    args = parser.parse_args()
    store = Store(args.dir)
    sink = SmtpSink(port=args.smtp_port)
    sink.handler.on_message = store.add
    sink.start()
    server = ThreadingHTTPServer(("127.0.0.1", args.http_port), make_handler(store))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        f"mail sink: SMTP on 127.0.0.1:{args.smtp_port}, web on http://127.0.0.1:{args.http_port}/",
        flush=True,
    )
    stop.wait()
    server.shutdown()
    sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
