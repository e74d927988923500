#!/usr/bin/env bash
# Installs Stevedore from a release (npm run package): no compiler, no npm, no
# registry. Run as root on Debian or Ubuntu with Node.js >= 20 installed.
#
#   sudo bash install.sh --role control-plane [--api-listen 0.0.0.0:8080] [--from DIR|FILE...]
#   sudo bash install.sh --role control-plane --store postgres://USER:PASS@db/stevedore --api-listen 0.0.0.0:8080 --api-advertise 10.0.0.12:8080   # one HA replica
#   sudo bash install.sh --role agent --control-plane 10.0.0.10:8443 --token SVDR-... --ca-cert-hash sha256:... [--host-ip 10.0.0.11] [--cluster default]
#   sudo bash install.sh --role both            # one-machine cluster
#
# --from (repeatable): the Debian packages (stevedore-*_VERSION_amd64.deb, or a
# directory holding them), or a release tarball (stevedore-VERSION-linux-x64.tar.gz)
# or its extracted directory. Default: the release this script belongs to
# (the directory above deploy/), else the .deb files beside this script.
#   - .deb: installed with dpkg -i (the CLI always, plus the role's program).
#   - tarball: unpacked to /opt/stevedore/releases/VERSION, /opt/stevedore/current
#     points at it, bins linked in /usr/bin, units in /etc/systemd/system; the
#     packages' own maintainer scripts (deploy/debian/) then do the rest.
# Either way: the `stevedore` user, /etc/stevedore/*.env (existing ones are
# kept), the units; an agent is started only once it has a control plane and a
# join token. Re-running with a newer release upgrades in place: the agent
# restarts, its task containers do not.
set -euo pipefail

ROLE=both
FROM=()
CP_API_LISTEN=127.0.0.1:8080
CP_AGENT_LISTEN=0.0.0.0:8443
CP_STORE=
CP_API_ADVERTISE=
AGENT_CONTROL_PLANE=
AGENT_CLUSTER=default
AGENT_HOST_IP=
AGENT_TOKEN=
AGENT_CA_CERT_HASH=
AGENT_ARGS=()
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
log() { echo "install: $*" >&2; }
die() { log "error: $*"; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --role) ROLE="${2:-}"; shift 2 ;;
    --from) FROM+=("$(realpath "${2:-}")"); shift 2 ;;
    --api-listen) CP_API_LISTEN="${2:-}"; shift 2 ;;
    --agent-listen) CP_AGENT_LISTEN="${2:-}"; shift 2 ;;
    --store) CP_STORE="${2:-}"; shift 2 ;;
    --api-advertise) CP_API_ADVERTISE="${2:-}"; shift 2 ;;
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
  control-plane) PROGRAMS=(cli control-plane) ;;
  agent) PROGRAMS=(cli agent) ;;
  both) PROGRAMS=(cli control-plane agent) ;;
  *) die "--role must be control-plane, agent or both" ;;
esac
wants() { [[ " ${PROGRAMS[*]} " == *" $1 "* ]]; }
[[ $EUID -eq 0 ]] || die "run as root (sudo bash $0 ...)"

# --- where the release is
if [[ ${#FROM[@]} -eq 0 ]]; then
  if [[ -f "$HERE/../BUILD-INFO" ]]; then FROM=("$(cd "$HERE/.." && pwd)"); else FROM=("$HERE"); fi
fi
DEBS=() RELEASE_DIR= TMP=
cleanup() { [[ -z "$TMP" ]] || rm -rf "$TMP"; }
trap cleanup EXIT
for f in "${FROM[@]}"; do
  if [[ -d "$f" && -f "$f/BUILD-INFO" ]]; then RELEASE_DIR="$f"
  elif [[ -d "$f" ]]; then
    # The newest version of each package the role needs, if the directory holds several.
    for p in "${PROGRAMS[@]}"; do
      d="$(ls -1 "$f"/stevedore-"$p"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1 || true)"
      [[ -n "$d" ]] && DEBS+=("$d")
    done
  elif [[ "$f" == *.deb ]]; then DEBS+=("$f")
  elif [[ "$f" == *.tar.gz ]]; then
    TMP="$(mktemp -d)"
    tar -C "$TMP" -xzf "$f"
    RELEASE_DIR="$(find "$TMP" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
    [[ -f "$RELEASE_DIR/BUILD-INFO" ]] || die "$f is not a Stevedore release tarball"
  else die "--from $f: not a .deb, a release tarball or a directory holding them"
  fi
done
[[ -n "$RELEASE_DIR" || ${#DEBS[@]} -gt 0 ]] || die "no Stevedore release found (pass --from with the .deb files or the tarball)"

# --- what the programs need from the machine (the release itself needs nothing else)
command -v node >/dev/null || die "Node.js >= 20 is not installed (Debian 12 and Ubuntu 24.04 ship 18: use NodeSource's packages or nodejs.org)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$NODE_MAJOR" -ge 20 ]] || die "Node.js $(node --version) is too old: Stevedore needs >= 20"
if wants agent && ! command -v dockerd >/dev/null; then
  # Docker is the one thing an agent host installs from its distribution.
  command -v apt-get >/dev/null || die "the agent needs Docker: install docker.io (or Docker CE) first"
  log "apt-get install docker.io"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io >/dev/null
fi
if wants agent && [[ -z "$AGENT_CONTROL_PLANE" ]]; then
  [[ $ROLE == both ]] && AGENT_CONTROL_PLANE="127.0.0.1:${CP_AGENT_LISTEN##*:}"
fi
if wants agent && [[ -z "$AGENT_HOST_IP" ]]; then
  # The source address of the default route: a route lookup, no packet is sent.
  AGENT_HOST_IP="$(ip -4 route get 192.0.2.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit }}')" || true
  [[ -n "$AGENT_HOST_IP" ]] && log "agent host IP: $AGENT_HOST_IP (override with --host-ip)"
fi

# --- env files, written before the packages so the postinst sees a configured agent
example() { # program: the env file as the release ships it
  if [[ -n "$RELEASE_DIR" ]]; then cat "$RELEASE_DIR/deploy/$1.env.example"; return; fi
  local d
  for d in "${DEBS[@]}"; do
    [[ "$(basename "$d")" == stevedore-"$1"_* ]] && dpkg-deb --fsys-tarfile "$d" | tar -xO "./etc/stevedore/$1.env" && return
  done
}
write_env() { # program, KEY=value...
  local name=$1 file="/etc/stevedore/$1.env" kv
  shift
  if [[ -f "$file" ]]; then log "keeping $file"; return; fi
  mkdir -p /etc/stevedore
  example "$name" > "$file.new"
  local key value
  for kv in "$@"; do
    key=${kv%%=*} value=${kv#*=}
    # Escaped for sed's replacement ('\\', '&' and the '|' delimiter): a store URL's password may hold any of them.
    value=$(printf '%s' "$value" | sed -e 's/[\\&|]/\\&/g')
    # The setting's line, commented out or not, takes the value; a key the example lacks is appended.
    if grep -qE "^#?${key}=" "$file.new"; then
      sed -i -E "s|^#?${key}=.*|${key}=${value}|" "$file.new"
    else
      printf '%s=%s\n' "$key" "${kv#*=}" >> "$file.new"
    fi
  done
  chmod 0600 "$file.new"
  mv "$file.new" "$file"
  log "wrote $file"
}
if wants control-plane; then
  CP_SETTINGS=("STEVEDORE_API_LISTEN=$CP_API_LISTEN" "STEVEDORE_AGENT_LISTEN=$CP_AGENT_LISTEN")
  # Only when given: the example's commented lines say what the defaults are.
  [[ -n "$CP_STORE" ]] && CP_SETTINGS+=("STEVEDORE_STORE=$CP_STORE")
  [[ -n "$CP_API_ADVERTISE" ]] && CP_SETTINGS+=("STEVEDORE_API_ADVERTISE=$CP_API_ADVERTISE")
  write_env control-plane "${CP_SETTINGS[@]}"
fi
if wants agent; then
  write_env agent "STEVEDORE_CONTROL_PLANE=$AGENT_CONTROL_PLANE" "STEVEDORE_CLUSTER=$AGENT_CLUSTER" \
    "STEVEDORE_HOST_IP=$AGENT_HOST_IP" "STEVEDORE_AGENT_ARGS=${AGENT_ARGS[*]:-}" \
    "STEVEDORE_TOKEN=$AGENT_TOKEN" "STEVEDORE_CA_CERT_HASH=$AGENT_CA_CERT_HASH"
fi

if [[ ${#DEBS[@]} -gt 0 ]]; then
  # --- Debian packages. The env files written above are kept (confold).
  args=(--force-confold --force-confdef)
  # A Node.js installed without dpkg (nodejs.org tarball) satisfies the programs, not dpkg.
  dpkg -s nodejs >/dev/null 2>&1 || { log "node is not a Debian package here: installing with --ignore-depends=nodejs"; args+=(--ignore-depends=nodejs); }
  log "dpkg -i ${DEBS[*]##*/}"
  dpkg -i "${args[@]}" "${DEBS[@]}"
else
  # --- release tarball: the same files as the packages, in /opt/stevedore.
  VERSION="$(sed -n 's/^version=//p' "$RELEASE_DIR/BUILD-INFO")"
  PREVIOUS="$(sed -n 's/^version=//p' /opt/stevedore/current/BUILD-INFO 2>/dev/null || true)"
  TARGET="/opt/stevedore/releases/$VERSION"
  if [[ "$(realpath "$RELEASE_DIR")" != "$(realpath -m "$TARGET")" ]]; then
    rm -rf "$TARGET.new"
    mkdir -p "$TARGET.new"
    cp -a "$RELEASE_DIR/." "$TARGET.new/"
    rm -rf "$TARGET"
    mv "$TARGET.new" "$TARGET"
  fi
  ln -sfn "releases/$VERSION" /opt/stevedore/current.new
  mv -T /opt/stevedore/current.new /opt/stevedore/current
  log "installed $VERSION in $TARGET (/opt/stevedore/current)"
  for p in "${PROGRAMS[@]}"; do
    case $p in cli) bin=stevedore ;; *) bin=stevedore-$p ;; esac
    ln -sfn "/opt/stevedore/current/lib/$p/main.js" "/usr/bin/$bin"
    if [[ $p != cli ]]; then
      install -m 0644 "$RELEASE_DIR/deploy/stevedore-$p.service" /etc/systemd/system/
      # The packages' maintainer script: user, permissions, and whether to start.
      sh "$RELEASE_DIR/deploy/debian/$p.postinst" configure "$PREVIOUS"
    fi
  done
fi

cat >&2 <<MSG
install: done ($ROLE, $(stevedore --version 2>/dev/null || echo stevedore)).
  Settings:  /etc/stevedore/*.env (then systemctl restart the unit)
MSG
if wants control-plane; then
  case "${CP_API_LISTEN%:*}" in
    127.*|localhost|\[::1\]) echo "  CLI:       stevedore --endpoint http://$CP_API_LISTEN cluster list" >&2 ;;
    # Off loopback the API is HTTPS with a cluster-CA certificate; the CA bundle is written at first start.
    *) echo "  CLI:       stevedore --endpoint https://${CP_API_LISTEN/0.0.0.0/127.0.0.1} --ca-bundle /var/lib/stevedore/control-plane/api-ca.pem cluster list" >&2 ;;
  esac
  echo "  Admin key: the first start writes /var/lib/stevedore/control-plane/admin-credentials (0600): AWS_SHARED_CREDENTIALS_FILE=<that file> stevedore ..." >&2
  echo "  Backups:   stevedore-control-plane backup --to FILE (docs/running-a-cluster.md, Production)" >&2
fi
if wants agent && [[ -z "$AGENT_TOKEN" || -z "$AGENT_CONTROL_PLANE" ]]; then
  echo "  The agent is not started: it needs the control plane's address and a join token ('stevedore cluster join-token create --cluster $AGENT_CLUSTER');" >&2
  echo "  put them in /etc/stevedore/agent.env (STEVEDORE_CONTROL_PLANE=, STEVEDORE_TOKEN=, STEVEDORE_CA_CERT_HASH=), then systemctl enable --now stevedore-agent." >&2
fi
exit 0
