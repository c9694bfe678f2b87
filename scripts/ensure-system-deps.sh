#!/usr/bin/env bash
# The tests run against real servers and a real browser (DESIGN.md sections 7 and 8): nats-server
# and headless Chromium (and openssl for test certificates), from Debian's packages. Installs
# whichever is missing; a no-op otherwise.
set -euo pipefail
need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 || need+=(chromium-headless-shell)
# The NATS TLS tests make their certificates with the openssl CLI.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing test dependencies from Debian's packages: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
