#!/usr/bin/env bash
# Host group `create` command for libvirt (virsh/virt-install) on the control
# plane's machine or over qemu+ssh://. Creates one VM from a cloud image,
# boots it with cloud-init user-data that installs and joins the agent, and
# prints the VM's name (the host's provider id) as its last line.
#
#   stevedore host-group create web --provisioner exec --max 5 \
#     --create-command /opt/stevedore/deploy/host-groups/virsh-create.sh \
#     --destroy-command /opt/stevedore/deploy/host-groups/virsh-destroy.sh --timeout 600
#
# Idempotent on STEVEDORE_HOST_ID (the control plane runs `create` again for
# the same host after a restart mid-create): an existing VM of that name is
# reported, not duplicated.
# Settings (environment of the control plane, e.g. its env file):
#   LIBVIRT_URI (default qemu:///system), STEVEDORE_VM_BASE_IMAGE (a Debian
#   genericcloud qcow2), STEVEDORE_VM_POOL_DIR (default /var/lib/libvirt/images),
#   STEVEDORE_VM_MEMORY_MIB (2048), STEVEDORE_VM_VCPUS (2), STEVEDORE_VM_NETWORK (default).
set -euo pipefail
: "${STEVEDORE_HOST_ID:?}"
URI="${LIBVIRT_URI:-qemu:///system}"
NAME="stevedore-${STEVEDORE_HOST_ID}"
BASE="${STEVEDORE_VM_BASE_IMAGE:?set STEVEDORE_VM_BASE_IMAGE to a cloud image (qcow2)}"
DIR="${STEVEDORE_VM_POOL_DIR:-/var/lib/libvirt/images}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if virsh -c "$URI" dominfo "$NAME" >/dev/null 2>&1; then
  echo "VM $NAME already exists" >&2
  echo "$NAME"
  exit 0
fi
disk="$DIR/$NAME.qcow2"
seed="$(mktemp -d)"
trap 'rm -rf "$seed"' EXIT
qemu-img create -f qcow2 -F qcow2 -b "$BASE" "$disk" 20G >&2
"$HERE/user-data.sh" >"$seed/user-data"
printf 'instance-id: %s\nlocal-hostname: %s\n' "$NAME" "$NAME" >"$seed/meta-data"
virt-install --connect "$URI" --name "$NAME" --memory "${STEVEDORE_VM_MEMORY_MIB:-2048}" --vcpus "${STEVEDORE_VM_VCPUS:-2}" \
  --disk "path=$disk,format=qcow2" --cloud-init "user-data=$seed/user-data,meta-data=$seed/meta-data" \
  --network "network=${STEVEDORE_VM_NETWORK:-default}" --os-variant debian12 --import --noautoconsole >&2
echo "$NAME"
