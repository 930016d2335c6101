"""gunicorn settings of the gateway (``gateway-service api``).

aiohttp workers (one event loop each: the server and the pooled keep-alive client share it).
Bind from ``MMS_GATEWAY_BIND`` or ``127.0.0.1:$MMS_GATEWAY_PORT`` (default 8080); workers from
``MMS_GATEWAY_WORKERS`` (default 2, one per core of the reference machine).
"""

import os
import shutil

bind = os.environ.get("MMS_GATEWAY_BIND", f"127.0.0.1:{os.environ.get('MMS_GATEWAY_PORT', '8080')}")
workers = int(os.environ.get("MMS_GATEWAY_WORKERS", "2"))

# uvloop (aiohttp.GunicornUVLoopWebWorker) measured no cheaper per request here; not a dependency.
worker_class = os.environ.get("MMS_GATEWAY_WORKER_CLASS", "aiohttp.GunicornWebWorker")
preload_app = False
timeout = 60
graceful_timeout = 30
keepalive = 75
max_requests = int(os.environ.get("MMS_GATEWAY_MAX_REQUESTS", "0"))
max_requests_jitter = 1000 if max_requests else 0
accesslog = None  # the app writes one JSON line per request with its request id
errorlog = "-"
loglevel = os.environ.get("MMS_LOG_LEVEL", "info").lower()
limit_request_line = 8190
limit_request_fields = 100
proc_name = "mms-gateway"


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from servicekit.metrics import mark_process_dead

    mark_process_dead(worker.pid)
