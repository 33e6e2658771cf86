#!/usr/bin/env bash
# Install Debian's prometheus and prometheus-alertmanager (promtool, amtool) when they are missing.
set -euo pipefail
if command -v promtool >/dev/null && command -v amtool >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "ensure-tools: promtool/amtool missing and not root; install prometheus prometheus-alertmanager" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
# The packages start their services where an init system runs; tests start their own servers.
$SUDO systemctl stop prometheus prometheus-alertmanager prometheus-node-exporter 2>/dev/null || true
command -v promtool && command -v amtool
