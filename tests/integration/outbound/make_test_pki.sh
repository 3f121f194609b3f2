#!/usr/bin/env bash
# Test certificates for the outbound client's integration tests, made with the openssl CLI:
#   ca.pem                 the test CA (the client trusts it through Options.ca_file)
#   good.{pem,key}         signed by the CA for localhost, 127.0.0.1 and ::1
#   wrong_host.{pem,key}   signed by the CA for other.test only
#   expired.{pem,key}      signed by the CA for localhost/127.0.0.1, valid only in 2020
#   untrusted.{pem,key}    the same names, signed by a CA the client does not trust
# Usage: make_test_pki.sh DIR
set -euo pipefail
dir=${1:?usage: make_test_pki.sh DIR}
mkdir -p "$dir"
cd "$dir"

new_ca() {  # name subject
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.pem" -days 30 \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

csr() {  # name
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
}

ext() {  # san
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$1"
}

sign() {  # name ca san
  csr "$1"
  ext "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}

local_names="DNS:localhost,IP:127.0.0.1,IP:::1"
new_ca ca "oh outbound test CA"
new_ca rogue_ca "oh outbound rogue CA"
sign good ca "$local_names"
sign wrong_host ca "DNS:other.test"
sign untrusted rogue_ca "$local_names"

# Expired: openssl x509 -req cannot back-date (OpenSSL 3.0), `openssl ca` can.
mkdir -p ca_db
: > ca_db/index.txt
echo 1000 > ca_db/serial
cat > ca_db/ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $PWD/ca_db/index.txt
serial = $PWD/ca_db/serial
new_certs_dir = $PWD/ca_db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
CNF
csr expired
ext "$local_names" > expired.ext
openssl ca -batch -config ca_db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200201000000Z -extfile expired.ext -notext 2>/dev/null
echo ok
