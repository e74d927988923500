#!/usr/bin/env bash
# Makes this machine able to build and run Stevedore, installing only what is
# missing: Debian packages (docker.io, busybox-static, haproxy, iproute2, awscli, openssl, curl, dpkg, postgresql, chromium), a
# running dockerd, node_modules (npm ci), the build, and the test image.
#
#   bash scripts/ensure-env.sh [--no-build] [--no-image]
#   source scripts/ensure-env.sh            # same, without leaving `set -e` behind
#
# Written for a fresh Debian 12 as root where PID 1 is not systemd: dockerd is
# started in the background rather than through a service manager.

_stevedore_ensure_env() (
  set -euo pipefail
  local root build=1 image=1 arg
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  for arg in "$@"; do
    case "$arg" in
      --no-build) build=0 ;;
      --no-image) image=0 ;;
      *) echo "ensure-env: unknown argument $arg" >&2; return 2 ;;
    esac
  done
  log() { echo "ensure-env: $*" >&2; }
  die() { log "$*"; return 1; }

  # --- Node: Debian 12's nodejs is 18, too old, and no other source is reachable here.
  command -v node >/dev/null || die "node is not installed; Stevedore needs Node.js >= 20 (Debian 12's nodejs package is 18: install Node 20 from NodeSource or nodejs.org)"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [[ "$major" -ge 20 ]] || die "node $(node --version) is too old; Stevedore needs Node.js >= 20"
  command -v npm >/dev/null || die "npm is missing (it ships with Node.js >= 20)"

  # --- Debian packages
  local -a missing=()
  # A machine may ship a docker client with no daemon: look for the daemon itself.
  command -v dockerd >/dev/null || missing+=(docker.io)
  [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v ip >/dev/null || missing+=(iproute2)
  # Debian's AWS CLI v2, by path: the first `aws` on PATH may be an old v1 (the e2e tests use /usr/bin/aws).
  [[ -x /usr/bin/aws ]] || missing+=(awscli)
  # The load balancer tests make certificates (openssl) and check HTTPS, SNI and redirects with curl.
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  # `npm run package` builds the Debian packages with dpkg-deb (esbuild comes with npm ci).
  command -v dpkg-deb >/dev/null || missing+=(dpkg)
  # The PostgreSQL store's tests start their own server (initdb/pg_ctl into a temp dir): Debian's postgresql.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  # The web console's end-to-end test drives Debian's Chromium headless (playwright-core, executablePath /usr/bin/chromium).
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  # The ECS Exec test drives `stevedore exec` through a pseudo-terminal with util-linux's script.
  command -v script >/dev/null || missing+=(bsdutils)
  if [[ ${#missing[@]} -gt 0 ]]; then
    [[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}"
    command -v apt-get >/dev/null || die "missing ${missing[*]} and apt-get is not available"
    log "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi

  # --- dockerd
  if ! docker info >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || die "docker is not reachable and starting dockerd needs root"
    # A pid file left by a daemon that died would make the new one refuse to start.
    if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
      rm -f /var/run/docker.pid
    fi
    command -v dockerd >/dev/null || die "there is no dockerd on this machine (a docker client alone cannot run containers): apt-get install docker.io"
    local started=""
    if ! pgrep -x dockerd >/dev/null; then
      log "starting dockerd (log: /var/log/stevedore-dockerd.log)"
      # setsid: dockerd must outlive this script and not get its Ctrl-C.
      setsid dockerd >/var/log/stevedore-dockerd.log 2>&1 < /dev/null &
      started=1
    fi
    local deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
      # A daemon that exited (no permission for iptables, a bad config...) will not answer: say so at once.
      # (By name, not $!: setsid may fork, leaving $! a process that is gone at once; after
      # 2 s, so the fork and exec have surely happened.)
      if [[ -n $started && $((SECONDS + 58)) -ge $deadline ]] && ! pgrep -x dockerd >/dev/null; then
        tail -n 20 /var/log/stevedore-dockerd.log >&2 || true
        die "dockerd exited during start-up (log above: /var/log/stevedore-dockerd.log)"
      fi
      if [[ $SECONDS -ge $deadline ]]; then
        tail -n 20 /var/log/stevedore-dockerd.log >&2 || true
        die "dockerd did not become ready within 60s"
      fi
      sleep 0.2
    done
    log "dockerd is ready"
  fi

  # --- node_modules and build
  cd "$root"
  # npm keeps a copy of the lock it installed in node_modules/.package-lock.json;
  # a newer package-lock.json (git pull) means the install is stale.
  if [[ ! -d node_modules ]] || [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "npm ci (builds better-sqlite3 from source: about a minute)"
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
  if [[ $build -eq 1 ]]; then
    log "npm run build"
    npm run --silent build >&2
  fi

  # --- test image
  if [[ $image -eq 1 ]]; then
    bash "$root/test/images/build-test-image.sh"
  fi
)

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  _stevedore_ensure_env "$@"
else
  _stevedore_ensure_env "$@"
  exit $?
fi
