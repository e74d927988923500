#!/usr/bin/env bash
# A one-machine Stevedore cluster in the foreground (`npm run start:local`):
# a control plane with its SQLite data under ./.data/control-plane, one agent on
# the local Docker (host IP 127.0.0.1, data under ./.data/agent), and the sample
# web task from examples/, whose URL it prints. Ctrl-C stops the control plane
# and the agent; task containers keep running, as under any orchestrator, and
# the agent adopts them again on the next start.
#
#   bash scripts/local-cluster.sh
#
# The control plane writes its admin access key to ./.data/admin-credentials on
# first start (an AWS shared-credentials file, mode 0600); the CLI calls below
# sign with it through AWS_SHARED_CREDENTIALS_FILE.
#
# Works from a fresh clone: ensure-env installs Docker and the rest, runs npm ci
# and the build. Override the addresses with STEVEDORE_LOCAL_API (default
# 127.0.0.1:8080) and STEVEDORE_LOCAL_AGENT_CHANNEL (default 127.0.0.1:8443).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

API="${STEVEDORE_LOCAL_API:-127.0.0.1:8080}"
AGENT_CHANNEL="${STEVEDORE_LOCAL_AGENT_CHANNEL:-127.0.0.1:8443}"
HOST_IP=127.0.0.1
CLUSTER=default
DATA="$ROOT/.data"
STARTED_BY=start-local
ENDPOINT="http://$API"
ADMIN_CREDENTIALS="$DATA/admin-credentials"
# Every API call is signed (SigV4): the CLI run here uses the admin key, whatever the caller's own AWS setup.
export AWS_SHARED_CREDENTIALS_FILE="$ADMIN_CREDENTIALS"
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN STEVEDORE_CREDENTIALS_FILE

log() { echo "local-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }
cli() { node "$ROOT/packages/cli/dist/main.js" --endpoint "$ENDPOINT" --cluster "$CLUSTER" "$@"; }
# Reads JSON on stdin and prints what the JS expression `$1` makes of it (`d` is the document).
json() { node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);const v=('"$1"');if(v!==undefined&&v!==null)console.log(v)})'; }

bash "$ROOT/scripts/ensure-env.sh"

port_free() { # HOST:PORT
  node -e 'const [h,p]=process.argv[1].split(":");const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+p,h,()=>s.close(()=>process.exit(0)))' "$1"
}
for addr in "$API" "$AGENT_CHANNEL"; do
  port_free "$addr" || die "$addr is already in use (another local cluster still running?). Stop it, or set STEVEDORE_LOCAL_API / STEVEDORE_LOCAL_AGENT_CHANNEL."
done

mkdir -p "$DATA/control-plane" "$DATA/agent"
CP_LOG="$DATA/control-plane.log"
AGENT_LOG="$DATA/agent.log"
CP_PID=
AGENT_PID=

stop_all() {
  trap - INT TERM EXIT
  echo >&2
  # Agent first, so it does not spend its last moments reconnecting.
  for pid in $AGENT_PID $CP_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  log "stopped the control plane and the agent; task containers keep running (docker ps)."
}
trap 'stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

# wait_until DESCRIPTION SECONDS COMMAND...: polls COMMAND, failing with the logs if a process died.
wait_until() {
  local what=$1 secs=$2 deadline
  shift 2
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$CP_PID" ]] && ! kill -0 "$CP_PID" 2>/dev/null; then
      tail -n 30 "$CP_LOG" >&2; die "the control plane exited (log: $CP_LOG)"
    fi
    if [[ -n "$AGENT_PID" ]] && ! kill -0 "$AGENT_PID" 2>/dev/null; then
      tail -n 30 "$AGENT_LOG" >&2; die "the agent exited (log: $AGENT_LOG)"
    fi
    [[ $SECONDS -lt $deadline ]] || die "timed out after ${secs}s waiting for $what (logs: $CP_LOG, $AGENT_LOG)"
    sleep 0.3
  done
}

# setsid: Ctrl-C reaches only this script, which stops the two in order.
log "starting the control plane: API $ENDPOINT, agent channel $AGENT_CHANNEL (log: $CP_LOG)"
setsid node "$ROOT/packages/control-plane/dist/main.js" \
  --data-dir "$DATA/control-plane" --api-listen "$API" --agent-listen "$AGENT_CHANNEL" \
  --admin-credentials-file "$ADMIN_CREDENTIALS" >>"$CP_LOG" 2>&1 </dev/null &
CP_PID=$!
wait_until "the API on $ENDPOINT" 30 cli cluster list

if ! cli --output json cluster list | json 'd.clusters.some(c => c.clusterName === "'"$CLUSTER"'" && c.status === "ACTIVE") || undefined' | grep -q true; then
  log "creating cluster $CLUSTER"
  cli cluster create "$CLUSTER" >/dev/null
fi

# The agent channel is mutual TLS: a first start joins with a one-use token and
# the CA hash (as on any host, see docs/running-a-cluster.md); later starts use
# the certificate kept in $DATA/agent/pki.
# The token goes in the agent's environment, not its arguments (which any local user can read in ps).
JOIN_ENV=()
if [[ ! -f "$DATA/agent/pki/agent.crt" ]]; then
  log "creating a join token for the agent (stevedore cluster join-token create --uses 1)"
  JOIN_JSON="$(cli --output json cluster join-token create --ttl 10m --uses 1)"
  JOIN_ENV=(STEVEDORE_TOKEN="$(echo "$JOIN_JSON" | json 'd.token')" STEVEDORE_CA_CERT_HASH="$(echo "$JOIN_JSON" | json 'd.caCertHash')")
fi

log "starting the agent on the local Docker, host IP $HOST_IP (log: $AGENT_LOG)"
env "${JOIN_ENV[@]}" setsid node --max-semi-space-size=1 --max-old-space-size=128 --lite-mode "$ROOT/packages/agent/dist/main.js" \
  --control-plane "$AGENT_CHANNEL" --cluster "$CLUSTER" --host-ip "$HOST_IP" --data-dir "$DATA/agent" >>"$AGENT_LOG" 2>&1 </dev/null &
AGENT_PID=$!
instance_ready() {
  cli --output json instance list | json 'd.containerInstances.some(i => i.status === "ACTIVE" && i.agentConnected) || undefined' | grep -q true
}
wait_until "the agent's container instance to register" 60 instance_ready
cli instance list

log "registering examples/web-task-definition.json"
cli task-definition register "$ROOT/examples/web-task-definition.json" >/dev/null

# A web task left running by an earlier start is adopted again, not duplicated.
TASK_JSON="$(cli --output json task list --started-by "$STARTED_BY")"
TASK_ID="$(echo "$TASK_JSON" | json 'd.tasks.filter(t => t.lastStatus === "RUNNING" && /task-definition\/web:/.test(t.taskDefinitionArn)).map(t => t.taskArn.split("/").pop())[0]')"
if [[ -n "$TASK_ID" ]]; then
  log "the web task $TASK_ID from an earlier start is still running"
else
  log "running the web task: stevedore run-task web --wait"
  cli run-task web --wait --started-by "$STARTED_BY" || die "the web task did not start (see stevedore task list --desired-status STOPPED, and $AGENT_LOG)"
  TASK_JSON="$(cli --output json task list --started-by "$STARTED_BY")"
  TASK_ID="$(echo "$TASK_JSON" | json 'd.tasks.filter(t => t.lastStatus === "RUNNING" && /task-definition\/web:/.test(t.taskDefinitionArn)).map(t => t.taskArn.split("/").pop())[0]')"
  [[ -n "$TASK_ID" ]] || die "the web task is not RUNNING"
fi
URL="$(cli --output json task describe "$TASK_ID" | json '(d.tasks[0].containers.flatMap(c => c.networkBindings || []).map(b => "http://" + b.bindIP + ":" + b.hostPort + "/"))[0]')"
[[ -n "$URL" ]] || die "task $TASK_ID has no host port binding"

BODY="$(node -e 'require("http").get(process.argv[1],r=>{let s="";r.on("data",c=>s+=c).on("end",()=>console.log(s.trim()))}).on("error",e=>console.log("("+e.message+")"))' "$URL")"

cat <<MSG

  Stevedore is running: control plane + one agent on the local Docker.

  The sample web task is up at:  $URL   (it answers: $BODY)

  Use the CLI from another terminal:
    export STEVEDORE_ENDPOINT=$ENDPOINT
    export AWS_SHARED_CREDENTIALS_FILE=$ADMIN_CREDENTIALS   # the admin key (keep it secret)
    alias stevedore='node $ROOT/packages/cli/dist/main.js'
    stevedore task list                          # tasks, status, host ports
    stevedore instance list                      # capacity: used/free CPU and memory
    stevedore logs $TASK_ID --follow
    stevedore task-definition register examples/batch-task-definition.json
    stevedore run-task batch --wait-stopped      # exits with the job's exit code
    stevedore task stop $TASK_ID
    stevedore iam create-access-key --role read-only   # a key for someone who only looks

  The AWS CLI and SDKs sign with the same key:
    AWS_SHARED_CREDENTIALS_FILE=$ADMIN_CREDENTIALS aws ecs list-tasks --cluster $CLUSTER --endpoint-url $ENDPOINT --region us-east-1

  Logs: $CP_LOG, $AGENT_LOG.  Data: $DATA.
  Ctrl-C stops the control plane and the agent; tasks keep running.

MSG

# Foreground until Ctrl-C, or until one of the two dies (then say so).
while kill -0 "$CP_PID" 2>/dev/null && kill -0 "$AGENT_PID" 2>/dev/null; do
  wait -n "$CP_PID" "$AGENT_PID" 2>/dev/null || true
done
if ! kill -0 "$CP_PID" 2>/dev/null; then
  tail -n 20 "$CP_LOG" >&2; die "the control plane exited (log: $CP_LOG)"
fi
tail -n 20 "$AGENT_LOG" >&2
die "the agent exited (log: $AGENT_LOG)"
