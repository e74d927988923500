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
# and STEVEDORE_RELEASE_URL: where the VM downloads the release tarball
# (stevedore-VERSION-linux-x64.tar.gz from `npm run package`, on a server of
# yours; required). The VM image must have Node.js >= 20.
set -euo pipefail
: "${STEVEDORE_CONTROL_PLANE:?}" "${STEVEDORE_CLUSTER:?}" "${STEVEDORE_TOKEN:?}" "${STEVEDORE_CA_CERT_HASH:?}"
RELEASE_URL="${STEVEDORE_RELEASE_URL:?set STEVEDORE_RELEASE_URL to the URL of a Stevedore release tarball}"

attrs=()
IFS=',' read -r -a pairs <<<"${STEVEDORE_ATTRIBUTES:-}"
for kv in "${pairs[@]}"; do [[ -n "$kv" ]] && attrs+=("--attribute $(printf '%q' "$kv")"); done

cat <<USERDATA
#cloud-config
package_update: true
packages: [curl, ca-certificates]
runcmd:
  - curl -fsSL -o /root/stevedore-release.tar.gz $(printf '%q' "$RELEASE_URL")
  - >-
    mkdir -p /root/stevedore-release && tar -C /root/stevedore-release --strip-components=1 -xzf /root/stevedore-release.tar.gz &&
    bash /root/stevedore-release/deploy/install.sh --role agent
    --control-plane $(printf '%q' "$STEVEDORE_CONTROL_PLANE")
    --cluster $(printf '%q' "$STEVEDORE_CLUSTER")
    --token $(printf '%q' "$STEVEDORE_TOKEN")
    --ca-cert-hash $(printf '%q' "$STEVEDORE_CA_CERT_HASH")
    ${attrs[*]}
USERDATA
