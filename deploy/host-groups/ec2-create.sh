#!/usr/bin/env bash
# Host group `create` command for a cloud CLI (here the AWS CLI and EC2; any
# cloud's `servers create --user-data` works the same way): starts one
# instance whose user-data installs and joins the agent, and prints its
# instance id.
#
#   --create-command /opt/stevedore/deploy/host-groups/ec2-create.sh
#   --destroy-command /opt/stevedore/deploy/host-groups/ec2-destroy.sh
#
# Idempotent on STEVEDORE_HOST_ID: it is the request's --client-token, so EC2
# itself returns the same instance when `create` runs again for the host.
# Settings: EC2_AMI (Debian 12 or Ubuntu), EC2_INSTANCE_TYPE (t3.medium),
# EC2_SUBNET_ID, EC2_SECURITY_GROUP_IDS (space-separated), AWS_REGION.
# The instances must reach STEVEDORE_CONTROL_PLANE (--agent-advertise).
set -euo pipefail
: "${STEVEDORE_HOST_ID:?}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
user_data="$(mktemp)"
trap 'rm -f "$user_data"' EXIT
"$HERE/user-data.sh" >"$user_data"
# shellcheck disable=SC2086
aws ec2 run-instances \
  --image-id "${EC2_AMI:?set EC2_AMI}" --instance-type "${EC2_INSTANCE_TYPE:-t3.medium}" --count 1 \
  --subnet-id "${EC2_SUBNET_ID:?set EC2_SUBNET_ID}" --security-group-ids ${EC2_SECURITY_GROUP_IDS:?set EC2_SECURITY_GROUP_IDS} \
  --client-token "$STEVEDORE_HOST_ID" --user-data "file://$user_data" \
  --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=stevedore-$STEVEDORE_HOST_ID},{Key=stevedore:host-group,Value=${STEVEDORE_HOST_GROUP:-}}]" \
  --query 'Instances[0].InstanceId' --output text
