#!/usr/bin/env bash
# Installs Prometheus and promtool (Debian's `prometheus` package) when they
# are missing: tools/checks/test/observability.int.test.ts runs a real
# Prometheus. Used by `npm test` and .ci/run; does nothing when both are on PATH.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "prometheus/promtool not found: install Debian's prometheus package (apt-get install prometheus) or put both on PATH" >&2
  exit 1
fi
echo "installing Prometheus (Debian package prometheus)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends prometheus >/dev/null ||
  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
# The package's own service is not ours: the test starts its own Prometheus.
pkill -x prometheus 2>/dev/null || true
command -v prometheus >/dev/null && command -v promtool >/dev/null
