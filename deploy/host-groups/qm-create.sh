#!/usr/bin/env bash
# Host group `create` command for Proxmox VE (`qm`, run on a Proxmox node or
# through `ssh root@pve`): clones a cloud-init template, gives it user-data
# that installs and joins the agent, starts it and prints the new VMID.
#
#   --create-command 'ssh root@pve STEVEDORE_HOST_ID=$STEVEDORE_HOST_ID ... /root/qm-create.sh'
#   (or run the control plane where `qm` works and point at this file directly)
#
# Idempotent on STEVEDORE_HOST_ID: the VM is named after it, and an existing
# one is reported instead of cloned again.
# Settings: PVE_TEMPLATE_VMID (a cloud-init template), PVE_SNIPPETS_STORAGE
# (default local, with "snippets" content enabled), PVE_SNIPPETS_DIR
# (default /var/lib/vz/snippets).
set -euo pipefail
: "${STEVEDORE_HOST_ID:?}"
TEMPLATE="${PVE_TEMPLATE_VMID:?set PVE_TEMPLATE_VMID to a cloud-init template}"
NAME="stevedore-${STEVEDORE_HOST_ID}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

existing="$(qm list | awk -v n="$NAME" '$2 == n { print $1 }')"
if [[ -n "$existing" ]]; then
  echo "VM $NAME already exists as $existing" >&2
  echo "$existing"
  exit 0
fi
vmid="$(pvesh get /cluster/nextid)"
snippet="${PVE_SNIPPETS_DIR:-/var/lib/vz/snippets}/$NAME.yaml"
"$HERE/user-data.sh" >"$snippet"
chmod 600 "$snippet"
qm clone "$TEMPLATE" "$vmid" --name "$NAME" --full 0 >&2
qm set "$vmid" --cicustom "user=${PVE_SNIPPETS_STORAGE:-local}:snippets/$NAME.yaml" --ipconfig0 ip=dhcp >&2
qm start "$vmid" >&2
echo "$vmid"
