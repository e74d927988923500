#!/usr/bin/env bash
# Host group `destroy` command for EC2: the instance id is the last argument.
set -euo pipefail
ID="${1:?usage: ec2-destroy.sh INSTANCE_ID}"
aws ec2 terminate-instances --instance-ids "$ID" --query 'TerminatingInstances[0].CurrentState.Name' --output text
