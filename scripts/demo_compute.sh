#!/usr/bin/env bash
# Three-party privacy-computing demo on one machine (127.0.0.1):
#   1. a bank and an insurer find their shared customers with PSI (TLS, both learn the result);
#   2. bank, insurer and telco compute joint income statistics with MPyC (TLS);
#   3. bank and insurer describe only their shared customers, the telco helps without data;
#   4. all three train one logistic regression without pooling rows;
#   5. each party's record of what it revealed (fenji compute runs).
# Usage: scripts/demo_compute.sh [OUT_DIR]   (PY=... to pick the Python; default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-demo-compute}
compute() { "$PY" -m fenji.cli_compute "$@"; }
step() { printf '\n== %s\n' "$*"; }

rm -rf "$OUT"
"$PY" -m fenji.compute.demo --out "$OUT"
compute certs "$OUT/certs" --parties 3
read -r P0 P1 P2 PSI_PORT < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
PARTIES="127.0.0.1:$P0,127.0.0.1:$P1,127.0.0.1:$P2"
NAMES=(bank insurer telco)
tls() { echo --cert "$OUT/certs/party_$1.crt" --key "$OUT/certs/party_$1.key" --ca "$OUT/certs/ca.crt"; }
cat_of() { echo --catalogue "sqlite:///$OUT/$1/catalogue.db"; }

step "1. PSI: bank serves, insurer connects; both learn the shared customers"
# shellcheck disable=SC2046
compute psi --serve "$OUT/bank/customers.csv" --column 手机号 --bind 127.0.0.1 --port "$PSI_PORT" \
  --output "$OUT/bank/shared.csv" $(tls 0) $(cat_of bank) -q -f json > "$OUT/bank/psi.json" &
# shellcheck disable=SC2046
compute psi --connect "127.0.0.1:$PSI_PORT" "$OUT/insurer/customers.csv" --column 手机号 \
  --share-result --output "$OUT/insurer/shared.csv" $(tls 1) $(cat_of insurer) -q -f table \
  --purpose "demo: shared customers"
wait

step "2. Joint income statistics over all three parties"
for i in 1 2; do
  # shellcheck disable=SC2046
  compute stats "$OUT/${NAMES[$i]}/customers.csv" --column income_k --parties "$PARTIES" --me "$i" \
    --stats count,mean,variance,histogram --bins 0,5,10,20,40 $(tls "$i") $(cat_of "${NAMES[$i]}") \
    -q -f json > "$OUT/${NAMES[$i]}/stats.json" &
done
# shellcheck disable=SC2046
compute stats "$OUT/bank/customers.csv" --column income_k --parties "$PARTIES" --me 0 \
  --stats count,mean,variance,histogram --bins 0,5,10,20,40 $(tls 0) $(cat_of bank) -q -f table
wait

step "3. Shared customers only: bank and insurer filter by their PSI result, telco helps"
# shellcheck disable=SC2046
compute stats --helper --parties "$PARTIES" --me 2 --stats count,mean $(tls 2) $(cat_of telco) \
  -q -f json > "$OUT/telco/shared_stats.json" &
# shellcheck disable=SC2046
compute stats "$OUT/insurer/customers.csv" --column income_k --within "$OUT/insurer/shared.csv" \
  --id-column 手机号 --parties "$PARTIES" --me 1 --stats count,mean $(tls 1) $(cat_of insurer) \
  -q -f json > "$OUT/insurer/shared_stats.json" &
# shellcheck disable=SC2046
compute stats "$OUT/bank/customers.csv" --column income_k --within "$OUT/bank/shared.csv" \
  --id-column 手机号 --parties "$PARTIES" --me 0 --stats count,mean $(tls 0) $(cat_of bank) -q -f table
wait

step "4. Federated logistic regression of 'overdue' (true weights in fenji.compute.demo)"
for i in 1 2; do
  # shellcheck disable=SC2046
  compute train "$OUT/${NAMES[$i]}/customers.csv" --features age,income_k,prior_overdue \
    --label overdue --parties "$PARTIES" --me "$i" $(tls "$i") $(cat_of "${NAMES[$i]}") -q -f json \
    > "$OUT/${NAMES[$i]}/model.json" &
done
# shellcheck disable=SC2046
compute train "$OUT/bank/customers.csv" --features age,income_k,prior_overdue --label overdue \
  --parties "$PARTIES" --me 0 $(tls 0) $(cat_of bank) -q -f table --output "$OUT/bank/model.json"
wait

step "5. The bank's records of what it revealed, to whom and when"
# shellcheck disable=SC2046
compute runs $(cat_of bank) -f json | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    seen = "; ".join(r["revealed_to_me"])
    print(r["started_at"], r["command"].ljust(5), r["role"].ljust(12), r["status"], "|", seen)'
printf '\ndemo finished: data, results and catalogues in %s/\n' "$OUT"
