#!/usr/bin/env bash
# deploy/rotate-origin-secret.sh against moto in a private network namespace: the origin secret,
# an ALB whose rule admits its value, an Auto Scaling group with one instance, and two CloudFront
# distributions (one sending X-Origin-Verify, one not), made through the APIs the stacks would
# make them with. `start` must leave the new value current and the old one previous, the rule
# admitting both, a Run Command re-reading the secrets on the instance, and the header only on
# the distribution that sends it; `finish` must narrow the rule to the new value and drop
# AWSPREVIOUS. No value may appear in the script's output. (The instance side, boot-services.sh
# writing origin-secret and origin-previous-secret, is BootServicesTest's, also against moto.)
if [ "${OH_IN_NETNS:-}" != 1 ]; then
  if ! unshare -n true 2>/dev/null; then echo "SKIP: unshare -n not permitted" >&2; exit 77; fi
  exec unshare -n env OH_IN_NETNS=1 bash "$0" "$@"
fi
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
python3 -c 'import moto.server' 2>/dev/null || { echo "SKIP: moto (python) missing" >&2; exit 77; }
if ! command -v aws >/dev/null || ! command -v jq >/dev/null; then echo "SKIP: needs the AWS CLI and jq" >&2; exit 77; fi

export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AWS_DEFAULT_REGION=us-west-2
unset AWS_PROFILE AWS_SESSION_TOKEN
WORK="$(mktemp -d /tmp/oh-rotation.XXXXXX)"
MOTO_PID=""
cleanup() {
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip link set lo up
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
python3 -m moto.server -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/data.json')" 2>/dev/null && break
  kill -0 "$MOTO_PID" 2>/dev/null || { cat "$WORK/moto.log" >&2; fail "moto_server exited"; }
  sleep 0.2
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
q() { aws --output text "$@"; }

echo "== the deployment's pieces"
umask 077
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$WORK/v1"
q secretsmanager create-secret --name openhands/origin-verify --secret-string "file://$WORK/v1" >/dev/null
VPC="$(q ec2 create-vpc --cidr-block 10.50.0.0/16 --query Vpc.VpcId)"
SUBNET_A="$(q ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.50.0.0/20 --availability-zone us-west-2a --query Subnet.SubnetId)"
SUBNET_B="$(q ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.50.16.0/20 --availability-zone us-west-2b --query Subnet.SubnetId)"
ALB="$(q elbv2 create-load-balancer --name openhands --subnets "$SUBNET_A" "$SUBNET_B" --query 'LoadBalancers[0].LoadBalancerArn')"
TG="$(q elbv2 create-target-group --name openhands --protocol HTTP --port 8080 --vpc-id "$VPC" --query 'TargetGroups[0].TargetGroupArn')"
CERT="$(q acm request-certificate --domain-name origin.openhands.example.com --validation-method DNS --query CertificateArn)"
LISTENER="$(q elbv2 create-listener --load-balancer-arn "$ALB" --protocol HTTPS --port 443 --certificates "CertificateArn=$CERT" \
  --default-actions 'Type=fixed-response,FixedResponseConfig={StatusCode=403,ContentType=text/plain}' --query 'Listeners[0].ListenerArn')"
jq -n --rawfile v "$WORK/v1" '[{Field: "http-header", HttpHeaderConfig: {HttpHeaderName: "X-Origin-Verify", Values: [$v]}}]' >"$WORK/conditions.json"
RULE="$(q elbv2 create-rule --listener-arn "$LISTENER" --priority 1 --conditions "file://$WORK/conditions.json" \
  --actions "Type=forward,TargetGroupArn=$TG" --query 'Rules[0].RuleArn')"
AMI="$(q ec2 describe-images --owners amazon --query 'Images[0].ImageId')"
q ec2 create-launch-template --launch-template-name openhands --launch-template-data "{\"ImageId\":\"$AMI\",\"InstanceType\":\"t4g.small\"}" >/dev/null
q autoscaling create-auto-scaling-group --auto-scaling-group-name openhands-asg --min-size 1 --max-size 1 --desired-capacity 1 \
  --launch-template LaunchTemplateName=openhands --vpc-zone-identifier "$SUBNET_A"
INSTANCE="$(q autoscaling describe-auto-scaling-groups --auto-scaling-group-names openhands-asg --query 'AutoScalingGroups[0].Instances[0].InstanceId')"
if [ -z "$INSTANCE" ] || [ "$INSTANCE" = None ]; then fail "no instance in the group"; fi
distribution() { # REF WITH-HEADER(yes|no)
  jq -n --arg ref "$1" --arg with "$2" --rawfile v "$WORK/v1" '{CallerReference: $ref, Comment: $ref, Enabled: true,
    Origins: {Quantity: 1, Items: [{Id: "origin", DomainName: "origin.openhands.example.com",
      CustomHeaders: (if $with == "yes" then {Quantity: 1, Items: [{HeaderName: "X-Origin-Verify", HeaderValue: $v}]}
                      else {Quantity: 0, Items: []} end),
      CustomOriginConfig: {HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only"}}]},
    DefaultCacheBehavior: {TargetOriginId: "origin", ViewerProtocolPolicy: "redirect-to-https",
      CachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}}' >"$WORK/distribution-$1.json"
  q cloudfront create-distribution --distribution-config "file://$WORK/distribution-$1.json" --query Distribution.Id
}
EDGE="$(distribution edge yes)"
OTHER="$(distribution other no)"
echo "rule $RULE, group openhands-asg ($INSTANCE), distributions $EDGE (header) and $OTHER (none)"

stage() { q secretsmanager get-secret-value --secret-id openhands/origin-verify --version-stage "$1" --query SecretString | tr -d '\n' >"$2"; }
rule_values() { aws elbv2 describe-rules --rule-arns "$RULE" --output json |
  jq -c '[.Rules[0].Conditions[] | select(.Field == "http-header") | .HttpHeaderConfig.Values[]] | sort'; }
values_of() { jq -c --rawfile a "$1" --rawfile b "${2:-$1}" -n '[$a, $b] | unique'; }
header_of() { aws cloudfront get-distribution-config --id "$1" --output json |
  jq -r '[.DistributionConfig.Origins.Items[].CustomHeaders.Items[]? | select(.HeaderName == "X-Origin-Verify") | .HeaderValue] | join(",")'; }
commands_for_instance() { aws ssm list-commands --instance-id "$INSTANCE" --output json |
  jq -r '[.Commands[].Parameters.commands[]] | join(";")'; }

echo "== a wrong call changes nothing"
if "$ROOT/deploy/rotate-origin-secret.sh" begin --region us-west-2 >/dev/null 2>&1; then fail "unknown step accepted"; fi
if "$ROOT/deploy/rotate-origin-secret.sh" start >/dev/null 2>&1; then fail "missing --region accepted"; fi
stage AWSCURRENT "$WORK/now"
cmp -s "$WORK/now" "$WORK/v1" || fail "the secret changed"

echo "== start"
"$ROOT/deploy/rotate-origin-secret.sh" start --region us-west-2 --rule-arn "$RULE" --asg openhands-asg >"$WORK/start.log" 2>&1 ||
  { cat "$WORK/start.log" >&2; fail "start failed"; }
cat "$WORK/start.log"
stage AWSCURRENT "$WORK/v2"
stage AWSPREVIOUS "$WORK/previous"
cmp -s "$WORK/previous" "$WORK/v1" || fail "AWSPREVIOUS is not the old value"
cmp -s "$WORK/v2" "$WORK/v1" && fail "AWSCURRENT did not change"
grep -Eq '^[A-Za-z0-9]{48}$' <(cat "$WORK/v2"; echo) || fail "the new value is not 48 alphanumerics"
[ "$(rule_values)" = "$(values_of "$WORK/v2" "$WORK/v1")" ] || fail "the rule does not admit exactly the new and the old value"
[ "$(header_of "$EDGE")" = "$(cat "$WORK/v2")" ] || fail "distribution $EDGE does not send the new value"
[ -z "$(header_of "$OTHER")" ] || fail "distribution $OTHER got a header it did not send"
commands_for_instance | grep -q 'OH_PHASES=secrets /opt/openhands/bin/boot-services.sh;systemctl reload oh-gateway' ||
  fail "no Run Command re-read the secrets on $INSTANCE: $(commands_for_instance)"
echo "   AWSCURRENT new, AWSPREVIOUS old, rule admits both, $EDGE sends the new value, $INSTANCE re-read"

echo "== finish"
"$ROOT/deploy/rotate-origin-secret.sh" finish --region us-west-2 --rule-arn "$RULE" --asg openhands-asg >"$WORK/finish.log" 2>&1 ||
  { cat "$WORK/finish.log" >&2; fail "finish failed"; }
cat "$WORK/finish.log"
[ "$(rule_values)" = "$(values_of "$WORK/v2")" ] || fail "the rule still admits the old value"
aws secretsmanager list-secret-version-ids --secret-id openhands/origin-verify --output json |
  jq -e '[.Versions[].VersionStages[]] | index("AWSPREVIOUS") | not' >/dev/null || fail "AWSPREVIOUS is still set"
stage AWSCURRENT "$WORK/now"
cmp -s "$WORK/now" "$WORK/v2" || fail "finish changed the current value"
[ "$(aws ssm list-commands --instance-id "$INSTANCE" --output json | jq '.Commands | length')" = 2 ] ||
  fail "finish did not have the instance re-read the secrets"
echo "   the rule admits the new value only, AWSPREVIOUS removed, the instance re-read"

echo "== no value in the script's output"
for value in "$WORK/v1" "$WORK/v2"; do
  ! grep -qF "$(cat "$value")" "$WORK/start.log" "$WORK/finish.log" || fail "a secret value was printed"
done
echo "PASS"
