#!/usr/bin/env bash
# Installs Stevedore on a plain Debian or Ubuntu machine (run as root):
#   - Debian packages it needs (docker.io for agents; nodejs/npm if absent; a C++
#     toolchain because better-sqlite3 compiles during npm ci),
#   - the checkout this script belongs to, built into /opt/stevedore,
#   - bins in /usr/local/bin, systemd units, env files in /etc/stevedore,
#   - then enables and starts the units of the chosen role.
#
#   sudo bash deploy/install.sh --role control-plane [--api-listen 0.0.0.0:8080]
#   sudo bash deploy/install.sh --role agent --control-plane 10.0.0.10:8443 --token SVDR-... --ca-cert-hash sha256:... [--host-ip 10.0.0.11] [--cluster default]
#   sudo bash deploy/install.sh --role both            # one-machine cluster
#
# Existing env files are kept (edit them and restart the unit). Re-running
# upgrades in place: the new build is made next to the old one and swapped in
# only once it succeeded. --destdir DIR installs under DIR without touching the
# system (no apt, no users, no systemctl): for checking a build.
set -euo pipefail

ROLE=both
PREFIX=/opt/stevedore
DESTDIR=
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=1
CP_API_LISTEN=127.0.0.1:8080
CP_AGENT_LISTEN=0.0.0.0:8443
AGENT_CONTROL_PLANE=
AGENT_CLUSTER=default
AGENT_HOST_IP=
AGENT_TOKEN=
AGENT_CA_CERT_HASH=
AGENT_ARGS=()

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
log() { echo "install: $*" >&2; }
die() { log "error: $*"; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --role) ROLE="${2:-}"; shift 2 ;;
    --prefix) PREFIX="${2:-}"; shift 2 ;;
    --destdir) DESTDIR="${2:-}"; shift 2 ;;
    --source) SOURCE="$(cd "${2:-}" && pwd)"; shift 2 ;;
    --no-start) START=0; shift ;;
    --api-listen) CP_API_LISTEN="${2:-}"; shift 2 ;;
    --agent-listen) CP_AGENT_LISTEN="${2:-}"; shift 2 ;;
    --control-plane) AGENT_CONTROL_PLANE="${2:-}"; shift 2 ;;
    --cluster) AGENT_CLUSTER="${2:-}"; shift 2 ;;
    --host-ip) AGENT_HOST_IP="${2:-}"; shift 2 ;;
    --token) AGENT_TOKEN="${2:-}"; shift 2 ;;
    --ca-cert-hash) AGENT_CA_CERT_HASH="${2:-}"; shift 2 ;;
    --attribute) AGENT_ARGS+=(--attribute "${2:-}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

case "$ROLE" in
  control-plane) WANT_CP=1 WANT_AGENT=0 ;;
  agent) WANT_CP=0 WANT_AGENT=1 ;;
  both) WANT_CP=1 WANT_AGENT=1 ;;
  *) die "--role must be control-plane, agent or both" ;;
esac
[[ -f "$SOURCE/package.json" && -d "$SOURCE/packages/cli" ]] || die "$SOURCE is not a Stevedore checkout"

# With --destdir nothing outside DIR is changed.
SYSTEM=1
[[ -n "$DESTDIR" ]] && SYSTEM=0
ROOT="${DESTDIR%/}"
[[ $SYSTEM -eq 0 || $EUID -eq 0 ]] || die "run as root (sudo bash $0 ...)"

if [[ $WANT_AGENT -eq 1 ]]; then
  if [[ $ROLE == agent && -z "$AGENT_CONTROL_PLANE" ]]; then
    die "--control-plane HOST:PORT is required for --role agent (the control plane's agent port, 8443 by default)"
  fi
  [[ -n "$AGENT_CONTROL_PLANE" ]] || AGENT_CONTROL_PLANE="127.0.0.1:${CP_AGENT_LISTEN##*:}"
  if [[ -z "$AGENT_HOST_IP" ]]; then
    # The source address of the default route: a route lookup, no packet is sent.
    AGENT_HOST_IP="$(ip -4 route get 192.0.2.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit }}')" || true
    [[ -n "$AGENT_HOST_IP" ]] || die "cannot work out this host's IP; pass --host-ip"
    log "agent host IP: $AGENT_HOST_IP (override with --host-ip)"
  fi
fi

apt_install() {
  [[ $# -gt 0 ]] || return 0
  command -v apt-get >/dev/null || die "need $*, and apt-get is not available: install them by hand"
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

systemd_running() { [[ $SYSTEM -eq 1 && -d /run/systemd/system ]]; }

# --- packages
if [[ $SYSTEM -eq 1 ]]; then
  pkgs=()
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
  # better-sqlite3 compiles from source when no prebuilt binary can be fetched.
  command -v g++ >/dev/null || pkgs+=(g++)
  command -v make >/dev/null || pkgs+=(make)
  command -v python3 >/dev/null || pkgs+=(python3)
  command -v ip >/dev/null || pkgs+=(iproute2)
  if [[ $WANT_AGENT -eq 1 ]] && ! command -v docker >/dev/null; then pkgs+=(docker.io); fi
  apt_install "${pkgs[@]}"
fi

# Debian 12 and Ubuntu 24.04 ship Node 18; Stevedore needs 20 (Debian 13 has it).
command -v node >/dev/null || die "node is not installed"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$NODE_MAJOR" -lt 20 ]]; then
  die "Node.js $(node --version) is too old: Stevedore needs Node.js >= 20.
  Debian 12 and Ubuntu 24.04 ship Node 18. Install Node 20 or newer first, e.g. from
  NodeSource's Debian repository or the nodejs.org binaries, then run this script again."
fi

if [[ $WANT_AGENT -eq 1 && $SYSTEM -eq 1 ]] && systemd_running; then
  systemctl enable --now docker.service >/dev/null 2>&1 || log "warning: could not enable docker.service"
fi

# --- build into PREFIX (next to the old one, swapped in when it succeeded)
TARGET="$ROOT$PREFIX"
STAGE="$TARGET.new.$$"
mkdir -p "$(dirname "$TARGET")"
log "copying $SOURCE to $STAGE"
rm -rf "$STAGE"
mkdir -p "$STAGE"
tar -C "$SOURCE" \
  --exclude=./.git --exclude=./node_modules --exclude='./packages/*/node_modules' \
  --exclude='./packages/*/dist' --exclude=./test/dist --exclude='*.tsbuildinfo' --exclude=./.data \
  -cf - . | tar -C "$STAGE" -xf -
log "npm ci && npm run build (better-sqlite3 compiles: a minute or two)"
if ! (cd "$STAGE" && npm ci --no-audit --no-fund --loglevel=error >&2 && npm run --silent build >&2); then
  rm -rf "$STAGE"
  die "build failed; the previous installation (if any) is untouched"
fi
# tsc does not set the executable bit the bins' shebangs need.
for pkg in cli control-plane agent; do
  bin="$STAGE/packages/$pkg/dist/main.js"
  if [[ -f "$bin" ]]; then
    chmod 755 "$bin"
  elif [[ $pkg == cli || ($pkg == control-plane && $WANT_CP -eq 1) || ($pkg == agent && $WANT_AGENT -eq 1) ]]; then
    rm -rf "$STAGE"
    die "the build produced no packages/$pkg/dist/main.js"
  fi
done
if [[ -d "$TARGET" ]]; then
  rm -rf "$TARGET.old"
  mv "$TARGET" "$TARGET.old"
fi
mv "$STAGE" "$TARGET"
rm -rf "$TARGET.old"
log "installed to $TARGET"

# --- bins
mkdir -p "$ROOT/usr/local/bin"
ln -sfn "$PREFIX/packages/cli/dist/main.js" "$ROOT/usr/local/bin/stevedore"
[[ $WANT_CP -eq 1 ]] && ln -sfn "$PREFIX/packages/control-plane/dist/main.js" "$ROOT/usr/local/bin/stevedore-control-plane"
[[ $WANT_AGENT -eq 1 ]] && ln -sfn "$PREFIX/packages/agent/dist/main.js" "$ROOT/usr/local/bin/stevedore-agent"

# --- user, units, env files
if [[ $SYSTEM -eq 1 && $WANT_CP -eq 1 ]] && ! id stevedore >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/stevedore --no-create-home --shell /usr/sbin/nologin stevedore
fi
mkdir -p "$ROOT/etc/systemd/system" "$ROOT/etc/stevedore"

# Writes an env file from its example with KEY=value substitutions, unless it exists.
write_env() { # name, KEY=value...
  local name=$1 file="$ROOT/etc/stevedore/$1.env" kv key
  shift
  if [[ -f "$file" ]]; then
    log "keeping existing $file"
    return
  fi
  cp "$SOURCE/deploy/$name.env.example" "$file"
  for kv in "$@"; do
    key="${kv%%=*}"
    # '|' as the sed delimiter: values are addresses and flags, never containing it.
    sed -i "s|^$key=.*|$key=${kv#*=}|" "$file"
  done
  chmod 0640 "$file"
  log "wrote $file"
}

UNITS=()
if [[ $WANT_CP -eq 1 ]]; then
  install -m 0644 "$SOURCE/deploy/stevedore-control-plane.service" "$ROOT/etc/systemd/system/"
  write_env control-plane "STEVEDORE_API_LISTEN=$CP_API_LISTEN" "STEVEDORE_AGENT_LISTEN=$CP_AGENT_LISTEN"
  [[ $SYSTEM -eq 1 ]] && chgrp stevedore "$ROOT/etc/stevedore/control-plane.env"
  UNITS+=(stevedore-control-plane.service)
fi
if [[ $WANT_AGENT -eq 1 ]]; then
  install -m 0644 "$SOURCE/deploy/stevedore-agent.service" "$ROOT/etc/systemd/system/"
  write_env agent "STEVEDORE_CONTROL_PLANE=$AGENT_CONTROL_PLANE" "STEVEDORE_CLUSTER=$AGENT_CLUSTER" \
    "STEVEDORE_HOST_IP=$AGENT_HOST_IP" "STEVEDORE_AGENT_ARGS=${AGENT_ARGS[*]:-}" \
    "STEVEDORE_TOKEN=$AGENT_TOKEN" "STEVEDORE_CA_CERT_HASH=$AGENT_CA_CERT_HASH"
  UNITS+=(stevedore-agent.service)
fi

# --- start
if [[ $START -eq 1 ]] && systemd_running; then
  systemctl daemon-reload
  systemctl enable "${UNITS[@]}" >/dev/null 2>&1
  # restart, not start: a re-run must pick up the new build.
  systemctl restart "${UNITS[@]}"
  log "started ${UNITS[*]} (journalctl -u <unit> -f for logs)"
elif [[ $SYSTEM -eq 1 ]]; then
  log "systemd is not running (or --no-start): start the services yourself, e.g."
  [[ $WANT_CP -eq 1 ]] && log "  systemctl enable --now stevedore-control-plane"
  [[ $WANT_AGENT -eq 1 ]] && log "  systemctl enable --now stevedore-agent"
fi

cat >&2 <<MSG
install: done ($ROLE).
  Settings:  $ROOT/etc/stevedore/*.env (then systemctl restart the unit)
MSG
if [[ $WANT_CP -eq 1 ]]; then
  case "${CP_API_LISTEN%:*}" in
    127.*|localhost|\[::1\]) echo "  CLI:       stevedore --endpoint http://$CP_API_LISTEN cluster list" >&2 ;;
    # Off loopback the API is HTTPS with a cluster-CA certificate; the CA bundle is written at first start.
    *) echo "  CLI:       stevedore --endpoint https://${CP_API_LISTEN/0.0.0.0/127.0.0.1} --ca-bundle /var/lib/stevedore/control-plane/api-ca.pem cluster list" >&2
       echo "             (copy api-ca.pem to other clients: --ca-bundle FILE or AWS_CA_BUNDLE=FILE, for the AWS CLI too)" >&2 ;;
  esac
fi
[[ $WANT_CP -eq 1 ]] && echo "  Admin key: the first start writes it to /var/lib/stevedore/control-plane/admin-credentials (mode 0600); use it with AWS_SHARED_CREDENTIALS_FILE=<that file>." >&2
[[ $WANT_AGENT -eq 1 ]] && echo "  The agent joins cluster '$AGENT_CLUSTER': create it first with 'stevedore cluster create $AGENT_CLUSTER'." >&2
if [[ $WANT_AGENT -eq 1 && -z "$AGENT_TOKEN" ]]; then
  echo "  The agent needs a join token to connect: 'stevedore cluster join-token create --cluster $AGENT_CLUSTER' prints STEVEDORE_TOKEN and the CA hash;" >&2
  echo "  put them in $ROOT/etc/stevedore/agent.env (STEVEDORE_TOKEN=, STEVEDORE_CA_CERT_HASH=) and restart stevedore-agent." >&2
fi
exit 0
