"""The access log: one JSON line per request, with its request and correlation ids.

With ``MMS_LOG_FORMAT=json`` (the default) the line is written directly (same fields as the
suite's structlog JSON lines: event, level, logger, service, timestamp) because the full
structlog pipeline costs several times more and this runs on every request. With ``console``
(local development) it goes through structlog for readable output.
"""

from __future__ import annotations

import json
import sys
import time

from servicekit.logging import get_logger


def _timestamp(now: float) -> str:
    seconds = int(now)
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int((now % 1) * 1e6):06d}Z"
    )


class AccessLog:
    def __init__(self, fmt: str = "json", stream=None) -> None:
        self.json = fmt == "json"
        self.stream = stream
        self._log = get_logger("gateway.access")

    def write(self, **fields) -> None:
        if not self.json:
            self._log.info("request", **fields)
            return
        record = {
            "event": "request",
            **fields,
            "level": "info",
            "logger": "gateway.access",
            "service": "gateway",
            "timestamp": _timestamp(time.time()),
        }
        stream = self.stream or sys.stdout
        stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        stream.flush()
