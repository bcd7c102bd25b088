#!/usr/bin/env bash
# Installs the Debian packages the tests run for real (promtool and Prometheus, tini and
# dumb-init as PID-1 references, openssl and htpasswd for the web config) when they are missing. Needs root or sudo; says so otherwise.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v tini >/dev/null 2>&1 || need+=(tini)
command -v dumb-init >/dev/null 2>&1 || need+=(dumb-init)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# Certificates (openssl) and bcrypt hashes made as operators make them (htpasswd -B) for the web config tests.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
# The Pushgateway that ephemeral runners push their final metrics to.
command -v prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
# A wall-clock step the supervisor sees (libfaketime), for the clock-jump test.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need+=(faketime)
# The official Prometheus client's exposition parsers, used by the tests to read scrapes.
/usr/bin/python3 -c "import prometheus_client" >/dev/null 2>&1 || need+=(python3-prometheus-client)
source "$(dirname "$0")/install-missing.sh"
install_missing ensure-tools "${need[@]}"
