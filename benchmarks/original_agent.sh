#!/usr/bin/env bash
# The original component's steps, in bash and curl, for the agent benchmark: an IMDSv2 token, the
# instance ID and region, then one GET of instance-<id>.log to the collector.
#   original_agent.sh IMDS_URL COLLECTOR_URL
IMDS=$1
COLLECTOR=$2
TOKEN=$(curl -s -m 2 -X PUT "$IMDS/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")
INSTANCE_ID=$(curl -s -m 2 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/instance-id")
REGION=$(curl -s -m 2 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/placement/region")
curl -s -m 10 -o /dev/null "$COLLECTOR/instance-$INSTANCE_ID.log?x-instance-id=$INSTANCE_ID&region=$REGION"
