#!/bin/bash
# oh-firewall.sh: the host firewall that keeps sandboxes (hostile agent code) off the instance,
# its metadata service and each other (issue 15; docs/instance.md, "Sandbox isolation").
#
#   oh-firewall.sh [--cred-address A] [--cred-port P] [--api-port P]... [--allow-dns]
#                  [--deny-cidr CIDR]... [--cred-interface NAME]
#   oh-firewall.sh --remove
#
# No container on any engine's bridge (docker0, br-*, podman*, cni-podman*, ohu*) reaches the
# metadata addresses 169.254.169.254 and fd00:ec2::254. Sandbox networks are the bridges named
# ohu* (sandboxBridgeName in src/control/backend/docker_requests.h). From them, IPv4 and IPv6:
#   forwarded: nothing to 169.254/16 (but the Amazon resolver's DNS), to another container
#     network (other users' ohu* bridges, the engines' bridges) or to a --deny-cidr (the VPC on
#     AWS) but DNS; a new connection into a sandbox network only from its own bridge;
#   to the host: only the credential endpoint (--cred-address:--cred-port), the sandbox API
#     (--api-port, for app servers; its listener closes sandboxes' connections itself), DNS with
#     --allow-dns (a resolver the engine runs on the bridge), replies and IPv6 neighbour
#     discovery. The admin listener, the database bridge, sshd and every other port: dropped.
# The rules sit in the mangle table's FORWARD and INPUT chains, which run before the filter
# table where Docker (DOCKER-USER, DOCKER-ISOLATION-*), netavark and CNI put their accept rules:
# no engine's rule, inserted before or after ours, can come first. Rerunning replaces them in
# one transaction (iptables-restore --noflush refills only our two chains); the jumps are added
# once. The credential endpoint's address goes on a dummy interface (on lo where the kernel has
# no dummy driver): 169.254.170.2 is an address botocore's container provider accepts over HTTP.
# Exit: 0 done, 2 usage, other: a command failed (named on stderr). Needs root.
set -Eeuo pipefail
trap 'echo "oh-firewall.sh: line $LINENO: $BASH_COMMAND failed" >&2' ERR
IPT=${IPTABLES:-iptables} IPT6=${IP6TABLES:-ip6tables}
S='ohu+' OTHERS='docker0 br-+ podman+ cni-podman+' FWD=OH-SANDBOX-FWD IN=OH-SANDBOX-IN
cred_address=169.254.170.2 cred_port=8091 cred_if=oh-creds dns=0 remove=0
api_ports=() deny=()
usage() { echo "usage: see the head of $0" >&2; exit 2; }
valid() { "$@" || usage; }
is_name() { [[ $1 =~ ^[a-z][a-z0-9-]{0,14}$ ]]; }
is_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }
# Addresses only need the right characters here: iptables-restore refuses a malformed one, and
# then installs nothing (one transaction).
is_addr() { [[ $1 =~ ^[0-9a-fA-F.:]+(/[0-9]{1,3})?$ ]]; }
while (($#)); do
  case $1 in
    --cred-address) valid is_addr "${2-}"; cred_address=$2; shift ;;
    --cred-port) valid is_port "${2-}"; cred_port=$2; shift ;;
    --cred-interface) valid is_name "${2-}"; cred_if=$2; shift ;;
    --api-port) valid is_port "${2-}"; api_ports+=("$2"); shift ;;
    --deny-cidr) valid is_addr "${2-}"; deny+=("$2"); shift ;;
    --allow-dns) dns=1 ;;
    --remove) remove=1 ;;
    *) usage ;;
  esac
  shift
done
((EUID == 0)) || { echo "oh-firewall.sh: needs root" >&2; exit 1; }
tools=("$IPT")
[[ -e /proc/net/if_inet6 ]] && tools+=("$IPT6")

# The rules of one family (4 or 6) for iptables-restore --noflush, which empties and refills
# only our two chains, in one transaction.
rules() {
  local v=$1 b c p imds=169.254.169.254/32
  [[ $v == 6 ]] && imds=fd00:ec2::254/128
  printf '*mangle\n:%s - [0:0]\n:%s - [0:0]\n' "$FWD" "$IN"
  # Forwarded. Same bridge (bridged through br_netfilter, in = out) is the user's own network.
  echo "-A $FWD -i $S -o $S -m physdev --physdev-is-bridged -j RETURN"
  for b in $S $OTHERS; do echo "-A $FWD -i $b -d $imds -j DROP"; done
  if [[ $v == 4 ]]; then
    for p in udp tcp; do echo "-A $FWD -i $S -d 169.254.169.253/32 -p $p --dport 53 -j RETURN"; done
    echo "-A $FWD -i $S -d 169.254.0.0/16 -j DROP"
  fi
  for c in "${deny[@]}"; do
    [[ ($v == 6 && $c == *:*) || ($v == 4 && $c != *:*) ]] || continue
    for p in udp tcp; do echo "-A $FWD -i $S -d $c -p $p --dport 53 -j RETURN"; done
    echo "-A $FWD -i $S -d $c -j DROP"
  done
  for b in $OTHERS; do echo "-A $FWD -i $S -o $b -j DROP"; done
  echo "-A $FWD -o $S -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"
  echo "-A $FWD -o $S -j DROP"
  # To the host itself.
  echo "-A $IN -i $S -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"
  if [[ $v == 4 ]]; then
    echo "-A $IN -i $S -d $cred_address/32 -p tcp --dport $cred_port -j RETURN"
  else
    for p in 133 135 136; do echo "-A $IN -i $S -p ipv6-icmp --icmpv6-type $p -j RETURN"; done
  fi
  for p in "${api_ports[@]}"; do echo "-A $IN -i $S -p tcp --dport $p -j RETURN"; done
  if ((dns)); then
    for p in udp tcp; do echo "-A $IN -i $S -p $p --dport 53 -j RETURN"; done
  fi
  printf -- '-A %s -i %s -j DROP\nCOMMIT\n' "$IN" "$S"
}

for t in "${tools[@]}"; do
  v=4
  [[ $t == "$IPT6" ]] && v=6
  for h in FORWARD:$FWD INPUT:$IN; do
    if ((remove)); then
      while "$t" -w -t mangle -D "${h%:*}" -j "${h#*:}" 2>/dev/null; do :; done
      if "$t" -w -t mangle -F "${h#*:}" 2>/dev/null; then "$t" -w -t mangle -X "${h#*:}"; fi
    fi
  done
  ((remove)) && continue
  rules $v | "$t-restore" -w --noflush
  for h in FORWARD:$FWD INPUT:$IN; do
    "$t" -w -t mangle -C "${h%:*}" -j "${h#*:}" 2>/dev/null || "$t" -w -t mangle -I "${h%:*}" 1 -j "${h#*:}"
  done
done
((remove)) && exit 0

# The credential endpoint's address: its own dummy interface, or lo without the dummy driver.
ip link show "$cred_if" >/dev/null 2>&1 || ip link add "$cred_if" type dummy 2>/dev/null || cred_if=lo
ip addr replace "$cred_address/32" dev "$cred_if"
ip link set "$cred_if" up
echo "oh-firewall.sh: rules installed (${tools[*]}); $cred_address on $cred_if"
