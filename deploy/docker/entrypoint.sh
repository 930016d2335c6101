#!/bin/sh
# Container entrypoint: `<service> <command> [args...]`, e.g. `customer api`, `sales worker`,
# `campaign setup`, `gateway api`, `gateway worker`. Anything else runs as given (`python ...`).
#
# In a container the processes listen on every interface, each on the suite's conventional port
# unless MMS_BIND / MMS_GATEWAY_BIND / MMS_<SERVICE>_WORKER_PORT say otherwise, and the URL the
# image's HEALTHCHECK probes is exported as MMS_HEALTH_URL.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: <customer|sales|campaign|support|analytics|gateway> <command> [args...]" >&2
    exit 64
fi
service="$1"
case "$service" in
    customer) api_port=8101 worker_port=8201 ;;
    sales) api_port=8102 worker_port=8202 ;;
    campaign) api_port=8103 worker_port=8203 ;;
    support) api_port=8104 worker_port=8204 ;;
    analytics) api_port=8105 worker_port=8205 ;;
    gateway) api_port=8080 worker_port=8200 ;;
    *) exec "$@" ;;
esac
shift
upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
command="${1:-}"

port_var="MMS_${upper}_PORT"
worker_var="MMS_${upper}_WORKER_PORT"
eval "api_port=\${$port_var:-$api_port}"
eval "worker_port=\${$worker_var:-$worker_port}"

case "$command" in
    api)
        if [ "$service" = gateway ]; then
            export MMS_GATEWAY_BIND="${MMS_GATEWAY_BIND:-0.0.0.0:$api_port}"
        else
            export MMS_BIND="${MMS_BIND:-0.0.0.0:$api_port}"
        fi
        # Several gunicorn workers add up their metrics through files in this directory.
        export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/metrics}"
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        export MMS_HEALTH_URL="http://127.0.0.1:$api_port/health/ready"
        ;;
    worker)
        export "$worker_var=$worker_port"
        # Reachable from outside the container: kubelet probes and Prometheus scrapes.
        export MMS_WORKER_BIND="${MMS_WORKER_BIND:-0.0.0.0}"
        export MMS_HEALTH_URL="http://127.0.0.1:$worker_port/health/ready"
        ;;
esac
exec "$service-service" "$@"
