"""gunicorn settings for every service's api process (``<service>-service api``).

The listening port comes from ``MMS_<SERVICE>_PORT`` (MMS_SERVICE names the service), worker and
thread counts from ``MMS_WEB_CONCURRENCY`` / ``MMS_WEB_THREADS``. Apps are built after the fork
(``preload_app = False``) so no database or broker connection is ever shared between workers.
"""

import os
import shutil

_service = os.environ.get("MMS_SERVICE", "service").upper()
_default_ports = {
    "CUSTOMER": 8101,
    "SALES": 8102,
    "CAMPAIGN": 8103,
    "SUPPORT": 8104,
    "ANALYTICS": 8105,
}

bind = os.environ.get(
    "MMS_BIND",
    f"127.0.0.1:{os.environ.get(f'MMS_{_service}_PORT', _default_ports.get(_service, 8100))}",
)
workers = int(os.environ.get("MMS_WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("MMS_WEB_THREADS", "4"))
preload_app = False
timeout = 60
graceful_timeout = 30
keepalive = 75  # longer than the gateway's pooled connections idle, so it never races a close
# Recycle workers now and then so that slow leaks cannot grow without bound.
max_requests = int(os.environ.get("MMS_WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
accesslog = None  # the app logs every request as JSON with its request id
errorlog = "-"
loglevel = os.environ.get("MMS_LOG_LEVEL", "info").lower()
limit_request_line = 8190
limit_request_fields = 100


def on_starting(server):
    # Metrics of a previous run must not leak into this one.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from servicekit.metrics import mark_process_dead

    mark_process_dead(worker.pid)
