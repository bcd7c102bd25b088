#!/usr/bin/env bash
# Installs what the image tests (npm run test:image) run for real, when it is missing: Docker Engine
# (Debian's docker.io, with containerd, runc and iptables), docker-compose 1.29, mmdebstrap for the
# base image, iproute2 for the test engine's bridge, git and curl for the guide's commands, and the
# Prometheus client's exposition parser the tests read scrapes with. Needs root or sudo; says so
# otherwise.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /usr/bin/docker ] || need+=(docker.io)
[ -x /usr/bin/docker-compose ] || need+=(docker-compose)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v git >/dev/null 2>&1 || need+=(git)
command -v curl >/dev/null 2>&1 || need+=(curl)
/usr/bin/python3 -c "import prometheus_client" >/dev/null 2>&1 || need+=(python3-prometheus-client)
source "$(dirname "$0")/install-missing.sh"
install_missing ensure-docker "${need[@]}"
