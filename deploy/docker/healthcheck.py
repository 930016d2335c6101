"""The image's HEALTHCHECK: GET the running process's /health/ready (exit 0 when it answers 200).

The URL is ``MMS_HEALTH_URL`` when set, otherwise the one the entrypoint exported to the main
process (PID 1). One-shot commands (setup, migrate, seed-demo) have none and count as healthy.
Usable as a Kubernetes exec probe too: ``healthcheck.py live`` checks /health/live instead.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def health_url() -> str | None:
    url = os.environ.get("MMS_HEALTH_URL")
    if url:
        return url
    try:
        with open("/proc/1/environ", "rb") as handle:
            for item in handle.read().split(b"\0"):
                if item.startswith(b"MMS_HEALTH_URL="):
                    return item.split(b"=", 1)[1].decode()
    except OSError:
        pass
    return None


def main(argv: list[str]) -> int:
    url = health_url()
    if url is None:
        return 0
    if argv[1:2] == ["live"]:
        url = url.replace("/health/ready", "/health/live")
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - local probe
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
