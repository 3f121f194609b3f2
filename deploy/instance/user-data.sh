#!/bin/bash
# OpenHands instance bootstrap, rendered by oh-infra into Fn::Sub (Amazon Linux 2023, arm64).
# Dollar-brace names are CloudFormation values; shell variables here never use braces.
# "#@file MODE PATH NAME" lines put deploy/instance/NAME into one compressed bundle, which the
# "#@bundle" line unpacks in place (base64 and tar), verbatim. Only what must exist before the
# gateway image is pulled travels here; oh-prepare.service copies the boot scripts, the gateway
# configuration template and the host firewall out of that image (docs/instance.md).
set -Eeuo pipefail
umask 022
export AWS_DEFAULT_REGION='${Region}'
topic='${AlertTopicArn}'
notify() {
  aws sns publish --topic-arn "$topic" --subject "OpenHands boot failed" \
    --message "$(hostname): $1" >/dev/null 2>&1 || true
}
trap 'notify "user data line $LINENO: $BASH_COMMAND (exit $?)"' ERR
retry() {
  local n=0
  until "$@"; do
    n=$((n + 1))
    [ "$n" -lt 5 ] || return 1
    sleep $((n * 15))
  done
}

retry dnf install -y docker amazon-efs-utils amazon-cloudwatch-agent postgresql15 jq stunnel
#@file 0644 /etc/docker/daemon.json docker-daemon.json
#@file 0644 /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json cloudwatch-agent.json
#@file 0644 /etc/systemd/system/oh-prepare.service oh-prepare.service
#@file 0644 /etc/systemd/system/oh-db-tls.service oh-db-tls.service
#@file 0644 /etc/systemd/system/oh-gateway.service oh-gateway.service
#@file 0644 /etc/systemd/system/oh-pull-images.service oh-pull-images.service
#@bundle

# Non-secret settings for the boot services; secrets stay in Secrets Manager until boot.
mkdir -p /etc/openhands
cat >/etc/openhands/instance.env <<'EOF'
REGION=${Region}
ALERT_TOPIC_ARN=${AlertTopicArn}
LOG_GROUP=${LogGroupName}
DATA_BUCKET=${DataBucketName}
DB_PROXY_ENDPOINT=${DbProxyEndpoint}
DB_ADMIN_SECRET_ARN=${DbAdminSecretArn}
APP_DB_SECRET_ARN=${AppDbSecretArn}
AUTH_SECRET_ARN=${AuthSettingsSecretArn}
ORIGIN_SECRET_ARN=${OriginSecretArn}
SESSION_KEY_SECRET_ARN=${SessionKeySecretArn}
OPENHANDS_VERSION_PARAMETER=${OpenHandsVersionParameter}
RUNTIME_IMAGE_PARAMETER=${RuntimeImageParameter}
MAIN_HOSTS_PARAMETER=${MainHostsParameter}
OPENHANDS_IMAGE_REPOSITORY=${OpenHandsImageRepository}
GATEWAY_IMAGE=${GatewayImageUri}
GATEWAY_PORT=${GatewayPort}
LLM_MODEL=${BedrockModel}
BEDROCK_ROLE_ARN=${BedrockRoleArn}
MAIN_HOST=${MainHost}
SANDBOX_URL_PATTERN=${SandboxUrlPattern}
VPC_CIDR=${VpcCidr}
EOF

systemctl enable --now docker

# EFS through its access point, TLS and IAM, at /data/openhands (and again after reboot).
mkdir -p /data/openhands
echo '${EfsFileSystemId}:/ /data/openhands efs _netdev,noresvport,tls,iam,accesspoint=${EfsAccessPointId} 0 0' >>/etc/fstab
retry mount /data/openhands

/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
  -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json

systemctl daemon-reload
# oh-prepare pulls the gateway image (and the host files it carries), fetches the secrets and
# bootstraps the database on every boot; the services follow.
# Retried: on a fresh deployment the proxy may still be registering its target. The gateway
# starts each user's OpenHands itself; the images are pulled meanwhile (--no-block).
systemctl enable oh-prepare.service oh-db-tls.service oh-gateway.service oh-pull-images.service
retry systemctl start oh-prepare.service
systemctl start oh-db-tls.service oh-gateway.service
systemctl start --no-block oh-pull-images.service
