#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The full CDK lifecycle against moto (the AWS emulator) in a private network namespace:
# bootstrap both regions, deploy all stacks (direct method: moto has no change-set updates),
# diff, deploy a second Edge stack exclusively, destroy everything. Docker is a stub that logs
# and succeeds (no image can be built here). Nothing leaves the namespace.
if [ "${OH_IN_NETNS:-}" != 1 ]; then
  if ! unshare -n true 2>/dev/null; then echo "SKIP: unshare -n not permitted" >&2; exit 77; fi
  exec unshare -n env OH_IN_NETNS=1 bash "$0" "$@"
fi
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
python3 -c 'import moto.server' 2>/dev/null || { echo "SKIP: moto (python) missing" >&2; exit 77; }

ip link set lo up
MOTO_PID=""
cleanup() {
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  cleanup_work
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export OH_MOTO_UNSUPPORTED_LOG="$WORK/unsupported-types.txt"
python3 "$HERE/moto_server_with_placeholders.py" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/data.json')" 2>/dev/null && break
  kill -0 "$MOTO_PID" 2>/dev/null || { cat "$WORK/moto.log" >&2; fail "moto_server exited"; }
  sleep 0.2
done
# "localhost" (not 127.0.0.1): moto finds a stack's TemplateURL bucket in the path only for
# amazonaws.com and localhost URLs. Node must then try IPv4 first, where moto listens.
export AWS_ENDPOINT_URL="http://localhost:$PORT"
export NODE_OPTIONS="--dns-result-order=ipv4first"

# cdk-assets runs `docker login/inspect/build/tag/push`: log them and succeed.
cat >"$WORK/docker" <<STUB
#!/bin/sh
echo "docker \$* (in \$PWD)" >>"$WORK/docker.log"
[ "\$1" = login ] && cat >/dev/null
[ "\$1" = inspect ] && exit 1
exit 0
STUB
chmod +x "$WORK/docker"
export CDK_DOCKER="$WORK/docker"

ACCOUNT=123456789012  # moto's default account

# The deployment's prerequisites, as the reference README asks for them: an existing VPC with
# private and public subnets in two AZs, and a Route 53 hosted zone for the domain.
ec2() { aws ec2 --region us-west-2 --output text "$@"; }
VPC="$(ec2 create-vpc --cidr-block 10.40.0.0/16 --query Vpc.VpcId)"
subnet() { ec2 create-subnet --vpc-id "$VPC" --cidr-block "$1" --availability-zone "$2" --query Subnet.SubnetId; }
PRIVATE_A="$(subnet 10.40.0.0/20 us-west-2a)"
PRIVATE_B="$(subnet 10.40.16.0/20 us-west-2b)"
PUBLIC_A="$(subnet 10.40.128.0/20 us-west-2a)"
PUBLIC_B="$(subnet 10.40.144.0/20 us-west-2b)"
ROUTES="$(ec2 create-route-table --vpc-id "$VPC" --query RouteTable.RouteTableId)"
# Route 53 zone ids start with Z; moto draws them from [A-Z0-9], so create zones until one does
# (and delete the others) rather than loosen the context's validation.
ZONE="$(python3 - <<'PY'
import boto3, itertools
r53 = boto3.client("route53", region_name="us-east-1")
for attempt in itertools.count():
    zone = r53.create_hosted_zone(Name="example.com", CallerReference=f"oh-e2e-{attempt}")["HostedZone"]["Id"].split("/")[-1]
    if zone.startswith("Z"):
        print(zone)
        break
    r53.delete_hosted_zone(Id=zone)
    if attempt > 2000:
        raise SystemExit("no Z zone id from moto")
PY
)"
echo "VPC $VPC, subnets $PRIVATE_A $PRIVATE_B $PUBLIC_A $PUBLIC_B, route table $ROUTES, zone $ZONE"

# shellcheck disable=SC2054 # commas separate list entries inside one context value
CONTEXT=(-c "vpcId=$VPC" -c "hostedZoneId=$ZONE" -c domainName=example.com -c region=us-west-2
  -c vpcCidr=10.40.0.0/16 -c "privateSubnetIds=$PRIVATE_A,$PRIVATE_B" -c "publicSubnetIds=$PUBLIC_A,$PUBLIC_B"
  -c availabilityZones=us-west-2a,us-west-2b -c "privateRouteTableIds=$ROUTES")

stacks_in() {  # region -> "name status" lines
  aws cloudformation describe-stacks --region "$1" --output text \
    --query 'Stacks[].[StackName,StackStatus]' 2>/dev/null | sort
}

echo "== cdk bootstrap in both regions"
cdk bootstrap "aws://$ACCOUNT/us-east-1" "aws://$ACCOUNT/us-west-2" "${CONTEXT[@]}"
for region in us-east-1 us-west-2; do
  stacks_in "$region" | grep -q '^CDKToolkit[[:space:]]*CREATE_COMPLETE' || fail "no CDKToolkit in $region"
  version="$(aws ssm get-parameter --region "$region" --name /cdk-bootstrap/hnb659fds/version --query Parameter.Value --output text)"
  [ "$version" -ge 6 ] || fail "bootstrap version $version in $region"
done

# moto applies a template's list-typed parameter defaults (List<...>, CommaDelimitedList) as one
# string instead of splitting them (it splits only values passed in); pass those defaults
# explicitly. CloudFormation itself splits defaults, so a real deployment needs none of this.
cdk synth -q "${CONTEXT[@]}" >/dev/null
# shellcheck disable=SC2016 # JavaScript, not shell, expands these
mapfile -t LIST_PARAMETERS < <(node -e '
  const fs = require("fs"), path = require("path"), dir = process.argv[1];
  const m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  for (const [id, a] of Object.entries(m.artifacts)) {
    if (a.type !== "aws:cloudformation:stack") continue;
    const t = JSON.parse(fs.readFileSync(path.join(dir, a.properties.templateFile), "utf8"));
    for (const [k, p] of Object.entries(t.Parameters || {})) {
      if ((p.Type.startsWith("List<") || p.Type === "CommaDelimitedList") && p.Default !== undefined) {
        console.log("--parameters"); console.log(`${id}:${k}=${p.Default}`);
      }
    }
  }' "$WORK/cdk.out")
echo "list parameters passed explicitly for moto: ${LIST_PARAMETERS[*]:-none}"

echo "== cdk deploy --all --method=direct"
cdk deploy --all --method=direct --require-approval never "${CONTEXT[@]}" ${LIST_PARAMETERS[@]+"${LIST_PARAMETERS[@]}"} 2>&1 | tee "$WORK/deploy.log" | tail -n 40
for stack in OpenHands-Network OpenHands-Monitoring OpenHands-Security OpenHands-Database OpenHands-Compute; do
  stacks_in us-west-2 | grep -Eq "^${stack}[[:space:]]+(CREATE|UPDATE)_COMPLETE" || fail "$stack not deployed in us-west-2"
done
for stack in OpenHands-Auth OpenHands-Edge; do
  stacks_in us-east-1 | grep -Eq "^${stack}[[:space:]]+(CREATE|UPDATE)_COMPLETE" || fail "$stack not deployed in us-east-1"
done
grep -q 'docker build' "$WORK/docker.log" || grep -q 'docker push' "$WORK/docker.log" || fail "the gateway image was not published"
grep -- '--platform linux/arm64' "$WORK/docker.log" | grep -q -- "--file deploy/gateway.Dockerfile --platform linux/arm64 . (in $OH_PROJECT_ROOT)" \
  || fail "the image was not built for linux/arm64 from the build context with deploy/gateway.Dockerfile"

echo "== cdk diff --method=template"
cdk diff --method=template "${CONTEXT[@]}" >"$WORK/diff.log" 2>&1
tail -n 3 "$WORK/diff.log"
grep -q 'Number of stacks with differences: 0' "$WORK/diff.log" || { cat "$WORK/diff.log" >&2; fail "diff right after deploy"; }
# A changed context value must show up as a difference (the diff really compares).
cdk diff --method=template "${CONTEXT[@]}" -c instanceType=m7g.2xlarge >"$WORK/diff2.log" 2>&1
grep -q 'm7g.2xlarge' "$WORK/diff2.log" || { cat "$WORK/diff2.log" >&2; fail "diff missed instanceType"; }
grep -Eq 'Number of stacks with differences: [1-9]' "$WORK/diff2.log" || fail "diff counted no difference"

echo "== cdk deploy OpenHands-Edge-X --exclusively"
# Another domain's Edge stack (another host in the zone), as the reference README's multi-domain
# steps deploy one: a second stack for the same host would collide on its account-wide names
# (CloudFront aliases and policies, the WAF log group) in AWS as in moto.
EDGE_X=(-c edgeStackSuffix=X -c subDomain=other)
cdk deploy OpenHands-Edge-X --exclusively --method=direct --require-approval never "${CONTEXT[@]}" "${EDGE_X[@]}"
stacks_in us-east-1 | grep -Eq '^OpenHands-Edge-X[[:space:]]+CREATE_COMPLETE' || fail "OpenHands-Edge-X not deployed"
stacks_in us-east-1 | grep -Eq '^OpenHands-Edge[[:space:]]+(CREATE|UPDATE)_COMPLETE' || fail "OpenHands-Edge disturbed"

echo "== cdk destroy --all"
cdk destroy OpenHands-Edge-X --force "${CONTEXT[@]}" "${EDGE_X[@]}"
cdk destroy --all --force "${CONTEXT[@]}"
for region in us-east-1 us-west-2; do
  left="$(stacks_in "$region" | grep '^OpenHands' | grep -v DELETE_COMPLETE || true)"
  [ -z "$left" ] || fail "stacks left in $region: $left"
done
echo "== resource types moto does not support (deployed as placeholders):"
sort -u "$OH_MOTO_UNSUPPORTED_LOG" 2>/dev/null | sed 's/^/   /' || true
echo "PASS"
