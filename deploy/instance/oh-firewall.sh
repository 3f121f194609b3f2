#!/bin/bash
# oh-firewall.sh: the host firewall that keeps sandboxes (hostile agent code) off the instance,
# its metadata service and each other (issue 15; docs/instance.md, "Sandbox isolation").
#
#   oh-firewall.sh [--cred-address A] [--cred-port P] [--api-port P]... [--allow-dns]
#                  [--deny-cidr CIDR]... [--cred-interface NAME]
#   oh-firewall.sh --remove
#
# Sandbox networks are the bridges named ohu* (src/control/backend/docker_requests.h,
# sandboxBridgeName). For traffic from them the script installs, for IPv4 and IPv6:
#   forwarded (leaving the host): nothing to link-local addresses (IMDS 169.254.169.254 and the
#     other 169.254/16 services) or to fd00:ec2::254; nothing to another container network (other
#     users' ohu* bridges, the engines' default bridges); nothing to a --deny-cidr (the VPC on AWS)
#     but DNS; a connection into a sandbox network only from its own bridge (replies excepted).
#   to the host itself: only the credential endpoint (--cred-address:--cred-port), the sandbox API
#     (--api-port, for app servers; the listener itself refuses sandboxes), DNS with --allow-dns
#     (Podman's resolver on the bridge), replies, and IPv6 neighbour discovery. Everything else
#     (the admin listener, the database bridge, sshd, the Docker API if it ever listens on TCP)
#     is dropped.
# The rules live in the mangle table's FORWARD and INPUT chains, which run before the filter
# table where Docker (DOCKER-USER, DOCKER-ISOLATION-*), netavark and CNI insert their own accept
# rules, so no engine's later rule can come first. Rerunning replaces the rules atomically
# (iptables-restore --noflush flushes and refills only our chains); the jumps are added once.
#
# It also puts the credential endpoint's address on a dummy interface (on lo where the kernel has
# no dummy driver), so the gateway can listen there: 169.254.170.2 is an address botocore's
# container provider accepts over plain HTTP.
#
# Exit: 0 installed, 2 usage, 1 a command failed (the ERR trap names it). Needs root.
set -Eeuo pipefail
trap 'echo "oh-firewall.sh: line $LINENO: $BASH_COMMAND failed" >&2' ERR

IPTABLES=${IPTABLES:-iptables}
IP6TABLES=${IP6TABLES:-ip6tables}
readonly BRIDGES='ohu+'
# Other engines' bridges a sandbox must not reach: Docker's default bridge and user networks,
# Podman's (CNI and netavark) bridges.
readonly OTHER_BRIDGES='docker0 br-+ podman+ cni-podman+'
readonly FWD=OH-SANDBOX-FWD IN=OH-SANDBOX-IN

cred_address=169.254.170.2
cred_port=8091
cred_interface=oh-creds
api_ports=()
deny_cidrs=()
allow_dns=0
remove=0

usage() {
  echo "usage: $0 [--cred-address IPv4] [--cred-port PORT] [--api-port PORT]... [--allow-dns]" >&2
  echo "          [--deny-cidr CIDR]... [--cred-interface NAME] | --remove" >&2
  exit 2
}

valid() { "$@" || usage; }
is_interface() { [[ $1 =~ ^[a-z][a-z0-9-]{0,14}$ ]]; }
is_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }
is_ipv4() { [[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
  ((BASH_REMATCH[1] < 256 && BASH_REMATCH[2] < 256 && BASH_REMATCH[3] < 256 && BASH_REMATCH[4] < 256)); }
is_cidr() { [[ $1 =~ ^[0-9.]+/[0-9]{1,2}$ ]] && is_ipv4 "${1%/*}" && ((10#${1#*/} <= 32)) ||
  [[ $1 =~ ^[0-9a-fA-F:]+/[0-9]{1,3}$ && $1 == *:* ]] && ((10#${1#*/} <= 128)); }

while (($#)); do
  case $1 in
    --cred-address) valid is_ipv4 "${2-}"; cred_address=$2; shift ;;
    --cred-port) valid is_port "${2-}"; cred_port=$2; shift ;;
    --cred-interface) valid is_interface "${2-}"; cred_interface=$2; shift ;;
    --api-port) valid is_port "${2-}"; api_ports+=("$2"); shift ;;
    --deny-cidr) valid is_cidr "${2-}"; deny_cidrs+=("$2"); shift ;;
    --allow-dns) allow_dns=1 ;;
    --remove) remove=1 ;;
    *) usage ;;
  esac
  shift
done

if ((EUID != 0)); then
  echo "oh-firewall.sh: needs root (it changes the host's firewall)" >&2
  exit 1
fi

# IPv6 rules are required wherever the kernel speaks IPv6: a sandbox network may be dual-stack.
families=("$IPTABLES")
if [[ -e /proc/net/if_inet6 ]]; then
  families+=("$IP6TABLES")
fi

remove_rules() {
  local tool=$1 hook chain
  for hook in FORWARD:$FWD INPUT:$IN; do
    chain=${hook#*:}
    while "$tool" -w -t mangle -C "${hook%%:*}" -j "$chain" 2>/dev/null; do
      "$tool" -w -t mangle -D "${hook%%:*}" -j "$chain"
    done
    if "$tool" -w -t mangle -S "$chain" >/dev/null 2>&1; then
      "$tool" -w -t mangle -F "$chain"
      "$tool" -w -t mangle -X "$chain"
    fi
  done
}

if ((remove)); then
  for tool in "${families[@]}"; do
    remove_rules "$tool"
  done
  exit 0
fi

# The rules of one family, in iptables-restore form. $1: 4 or 6.
rules() {
  local family=$1 bridge cidr cidr_family port proto
  echo '*mangle'
  echo ":$FWD - [0:0]"
  echo ":$IN - [0:0]"
  # Forwarded. Same network first: with br_netfilter (Docker loads it) traffic between two
  # containers on one bridge passes FORWARD with in = out = that bridge; physdev tells it apart
  # from traffic routed between two bridges, which is another user's network.
  echo "-A $FWD -i $BRIDGES -o $BRIDGES -m physdev --physdev-is-bridged -j RETURN"
  if [[ $family == 4 ]]; then
    # The Amazon DNS resolver's link-local address, in case the engine's DNS forwards from the
    # container (Docker's embedded DNS); the rest of 169.254/16, IMDS first, is dropped.
    for proto in udp tcp; do
      echo "-A $FWD -i $BRIDGES -d 169.254.169.253/32 -p $proto --dport 53 -j RETURN"
    done
    echo "-A $FWD -i $BRIDGES -d 169.254.0.0/16 -j DROP"
  else
    echo "-A $FWD -i $BRIDGES -d fd00:ec2::254/128 -j DROP"
  fi
  for cidr in "${deny_cidrs[@]}"; do
    cidr_family=4
    [[ $cidr == *:* ]] && cidr_family=6
    [[ $cidr_family == "$family" ]] || continue
    for proto in udp tcp; do
      echo "-A $FWD -i $BRIDGES -d $cidr -p $proto --dport 53 -j RETURN"
    done
    echo "-A $FWD -i $BRIDGES -d $cidr -j DROP"
  done
  for bridge in $OTHER_BRIDGES; do
    echo "-A $FWD -i $BRIDGES -o $bridge -j DROP"
  done
  echo "-A $FWD -o $BRIDGES -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"
  echo "-A $FWD -o $BRIDGES -j DROP"
  # To the host.
  echo "-A $IN -i $BRIDGES -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"
  if [[ $family == 4 ]]; then
    echo "-A $IN -i $BRIDGES -d $cred_address/32 -p tcp --dport $cred_port -j RETURN"
  else
    for port in 133 135 136; do  # router solicitation, neighbour solicitation and advertisement
      echo "-A $IN -i $BRIDGES -p ipv6-icmp --icmpv6-type $port -j RETURN"
    done
  fi
  for port in "${api_ports[@]}"; do
    echo "-A $IN -i $BRIDGES -p tcp --dport $port -j RETURN"
  done
  if ((allow_dns)); then
    for proto in udp tcp; do
      echo "-A $IN -i $BRIDGES -p $proto --dport 53 -j RETURN"
    done
  fi
  echo "-A $IN -i $BRIDGES -j DROP"
  echo 'COMMIT'
}

for tool in "${families[@]}"; do
  family=4
  [[ $tool == "$IP6TABLES" ]] && family=6
  rules "$family" | "$tool-restore" -w --noflush
  if ! "$tool" -w -t mangle -C FORWARD -j "$FWD" 2>/dev/null; then
    "$tool" -w -t mangle -I FORWARD 1 -j "$FWD"
  fi
  if ! "$tool" -w -t mangle -C INPUT -j "$IN" 2>/dev/null; then
    "$tool" -w -t mangle -I INPUT 1 -j "$IN"
  fi
done

# The credential endpoint's address: a dummy interface of its own where the kernel has the
# driver (AWS), else lo. /32: nothing else is routed there.
if ! ip link show "$cred_interface" >/dev/null 2>&1; then
  ip link add "$cred_interface" type dummy 2>/dev/null || cred_interface=lo
fi
ip addr replace "$cred_address/32" dev "$cred_interface"
ip link set "$cred_interface" up
echo "oh-firewall.sh: sandbox isolation rules installed (${families[*]}); credential endpoint $cred_address on $cred_interface"
