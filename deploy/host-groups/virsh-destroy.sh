#!/usr/bin/env bash
# Host group `destroy` command for libvirt: the VM's name is the last
# argument. Destroying a VM that is already gone succeeds.
set -euo pipefail
NAME="${1:?usage: virsh-destroy.sh VM_NAME}"
URI="${LIBVIRT_URI:-qemu:///system}"
if ! virsh -c "$URI" dominfo "$NAME" >/dev/null 2>&1; then
  echo "VM $NAME is already gone"
  exit 0
fi
virsh -c "$URI" destroy "$NAME" >/dev/null 2>&1 || true
virsh -c "$URI" undefine "$NAME" --remove-all-storage
