#!/usr/bin/env bash
# Prints the cloud-init user-data that turns a fresh Debian/Ubuntu VM into a
# Stevedore host of a host group: it installs the agent with deploy/install.sh
# and joins with the one-use token the control plane handed to the `create`
# command. Used by the example create scripts next to it:
#
#   user_data="$(deploy/host-groups/user-data.sh)"
#
# Reads what the control plane puts in the create command's environment:
#   STEVEDORE_CONTROL_PLANE  HOST:PORT of the agent channel (--agent-advertise)
#   STEVEDORE_CLUSTER        the group's cluster
#   STEVEDORE_TOKEN          one-use join token (secret: it joins one host)
#   STEVEDORE_CA_CERT_HASH   the CA hash the agent pins
#   STEVEDORE_ATTRIBUTES     k=v,k2=v2 (includes stevedore.host-group=GROUP)
# and STEVEDORE_SOURCE_URL: where the VM fetches the Stevedore checkout
# (a git URL of your checkout; required).
set -euo pipefail
: "${STEVEDORE_CONTROL_PLANE:?}" "${STEVEDORE_CLUSTER:?}" "${STEVEDORE_TOKEN:?}" "${STEVEDORE_CA_CERT_HASH:?}"
SOURCE_URL="${STEVEDORE_SOURCE_URL:?set STEVEDORE_SOURCE_URL to a git URL of your Stevedore checkout}"

attrs=()
IFS=',' read -r -a pairs <<<"${STEVEDORE_ATTRIBUTES:-}"
for kv in "${pairs[@]}"; do [[ -n "$kv" ]] && attrs+=("--attribute $(printf '%q' "$kv")"); done

cat <<USERDATA
#cloud-config
package_update: true
packages: [git, ca-certificates]
runcmd:
  - git clone --depth 1 $(printf '%q' "$SOURCE_URL") /opt/stevedore-src
  - >-
    bash /opt/stevedore-src/deploy/install.sh --role agent
    --control-plane $(printf '%q' "$STEVEDORE_CONTROL_PLANE")
    --cluster $(printf '%q' "$STEVEDORE_CLUSTER")
    --token $(printf '%q' "$STEVEDORE_TOKEN")
    --ca-cert-hash $(printf '%q' "$STEVEDORE_CA_CERT_HASH")
    ${attrs[*]}
USERDATA
