#!/usr/bin/env bash
# Host group `destroy` command for Proxmox VE: the VMID is the last argument.
set -euo pipefail
VMID="${1:?usage: qm-destroy.sh VMID}"
if ! qm status "$VMID" >/dev/null 2>&1; then
  echo "VM $VMID is already gone"
  exit 0
fi
qm stop "$VMID" --skiplock 1 >/dev/null 2>&1 || true
qm destroy "$VMID" --purge 1 --destroy-unreferenced-disks 1
rm -f "${PVE_SNIPPETS_DIR:-/var/lib/vz/snippets}/stevedore-${STEVEDORE_HOST_ID:-}.yaml"
