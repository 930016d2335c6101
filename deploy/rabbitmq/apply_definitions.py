"""Load deploy/rabbitmq/definitions.json into the suite's virtual host (idempotent).

The definitions hold the events exchange and, per consuming service, a policy for its quorum
queue: a message redelivered more than ``delivery-limit`` times (a worker crashed on it again and
again, so the consumer never got to retry or park it) is dead-lettered, at least once, to the
service's parking queue ``<service>.events.dead``, where ``<service>-service dead list|redrive``
finds it. The services declare their queues themselves (``setup``, with
``MMS_AMQP_QUORUM_QUEUES=true``); policies apply to them by name whenever they appear.

Uses the management HTTP API: ``MMS_RABBITMQ_API_URL`` (e.g. ``http://user:pw@rabbitmq:15672/api``)
or, by default, port 15672 on the host of ``MMS_AMQP_URL`` with its credentials; the vhost is the
one in ``MMS_AMQP_URL``. Retries until the broker answers (``--timeout`` seconds).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def management_target(amqp_url: str, api_url: str | None) -> tuple[str, str, str]:
    """(api base without credentials, 'user:password', vhost) from the settings."""
    amqp = urllib.parse.urlsplit(amqp_url)
    path = amqp.path[1:] if amqp.path.startswith("/") else amqp.path
    vhost = urllib.parse.unquote(path) if path else "/"
    source = urllib.parse.urlsplit(api_url) if api_url else None
    if source is None:
        user = urllib.parse.unquote(amqp.username or "guest")
        password = urllib.parse.unquote(amqp.password or "guest")
        base = f"http://{amqp.hostname}:15672/api"
    else:
        user = urllib.parse.unquote(source.username or amqp.username or "guest")
        password = urllib.parse.unquote(source.password or amqp.password or "guest")
        port = f":{source.port}" if source.port else ""
        base = f"{source.scheme}://{source.hostname}{port}{source.path.rstrip('/')}"
    return base, f"{user}:{password}", vhost


def apply(definitions: dict, base: str, credentials: str, vhost: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - the operator's own broker
        f"{base}/definitions/{urllib.parse.quote(vhost, safe='')}",
        data=json.dumps(definitions).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        if response.status not in (200, 201, 204):
            raise RuntimeError(f"definitions import answered {response.status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default=str(HERE / "definitions.json"))
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    amqp_url = os.environ.get("MMS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    base, credentials, vhost = management_target(amqp_url, os.environ.get("MMS_RABBITMQ_API_URL"))
    definitions = json.loads(Path(args.file).read_text())
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            apply(definitions, base, credentials, vhost)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            if exc.code in (401, 403, 400):  # waiting will not fix these
                print(f"definitions refused ({exc.code}): {detail}", file=sys.stderr)
                return 1
            error = f"{exc.code}: {detail}"
        except OSError as exc:
            error = str(exc)
        else:
            names = ", ".join(p["name"] for p in definitions.get("policies", []))
            print(f"rabbitmq: definitions loaded into vhost {vhost!r} (policies: {names})")
            return 0
        if time.monotonic() > deadline:
            print(f"rabbitmq: broker not reachable at {base}: {error}", file=sys.stderr)
            return 1
        time.sleep(2)


if __name__ == "__main__":
    raise SystemExit(main())
