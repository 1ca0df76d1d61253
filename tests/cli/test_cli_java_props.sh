#!/usr/bin/env bash
# A Java producer.properties carries over (kprod produce -F) against a real
# broker: a file with a UTF-8 byte-order mark and the lines Java users have
# everywhere (client.dns.lookup, socket buffer sizes, metrics and
# interceptor settings at values that ask for nothing) loads and produces
# without a warning, read back with kcat; properties kprod accepts without
# applying give exactly one warning each, naming them; the canonical
# bootstrap lookup works; a misspelt name still stops the run with exit
# status 2 and a did-you-mean.
# Env: KPROD_BIN, KPROD_SRC (from CTest); KPROD_BROKERS (default
# 127.0.0.1:9092).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

t=$(new_topic kprod_cli_javaprops 1) || exit 1

# Lines as Kafka's own config/producer.properties and generated files have
# them; the file starts with a byte-order mark, as some editors write it.
{
    printf '\xef\xbb\xbf# written by a Java shop\n'
    cat <<EOF
bootstrap.servers=$BROKERS
client.dns.lookup=use_all_dns_ips
send.buffer.bytes=131072
receive.buffer.bytes=-1
enable.metrics.push=false
metric.reporters=
interceptor.classes=
partitioner.adaptive.partitioning.enable=false
metadata.recovery.strategy=rebootstrap
key.serializer=org.apache.kafka.common.serialization.StringSerializer
value.serializer=org.apache.kafka.common.serialization.StringSerializer
compression.type=lz4
acks=all
EOF
} >"$tmp/quiet.properties"

seq 1 5 | timeout 60 "$KPROD_BIN" produce -t "$t" -F "$tmp/quiet.properties" \
    >"$tmp/quiet.out" 2>"$tmp/quiet.err"
status=$?
[[ $status == 0 ]] && ok || { fail "Java properties: exit status $status"; show "$tmp/quiet.err"; }
grep -q ' WARN ' "$tmp/quiet.err" && { fail "Java properties at inert values: a warning"; show "$tmp/quiet.err"; } || ok
read_back "$t" 5 | cut -f4 >"$tmp/quiet.got" || fail "read back"
seq 1 5 >"$tmp/quiet.want"
cmp -s "$tmp/quiet.want" "$tmp/quiet.got" && ok || { fail "read back differs"; diff "$tmp/quiet.want" "$tmp/quiet.got"; }

# ---- accepted but not applied: one warning each, naming it ----
cat >"$tmp/warn.properties" <<EOF
bootstrap.servers=$BROKERS
group.id=my-group
metrics.recording.level=DEBUG
interceptor.classes=com.example.AuditInterceptor
enable.metrics.push=true
EOF
echo 6 | timeout 60 "$KPROD_BIN" produce -t "$t" -F "$tmp/warn.properties" -X metrics.num.samples=3 \
    >"$tmp/warn.out" 2>"$tmp/warn.err"
status=$?
[[ $status == 0 ]] && ok || { fail "not-applied properties: exit status $status"; show "$tmp/warn.err"; }
for p in group.id metrics.recording.level interceptor.classes enable.metrics.push metrics.num.samples; do
    n=$(grep -c " WARN .*$p=.* is accepted but not applied: " "$tmp/warn.err")
    [[ $n == 1 ]] && ok || { fail "$p: $n warnings, expected 1"; show "$tmp/warn.err"; }
done
[[ $(grep -c ' WARN ' "$tmp/warn.err") == 5 ]] && ok || { fail "not exactly 5 warnings"; show "$tmp/warn.err"; }

# ---- client.dns.lookup=resolve_canonical_bootstrap_servers_only ----
echo 7 | timeout 60 "$KPROD_BIN" produce -b "$BROKERS" -t "$t" \
    -X client.dns.lookup=resolve_canonical_bootstrap_servers_only -X send.buffer.bytes=-1 \
    -X receive.buffer.bytes=1048576 >"$tmp/canon.out" 2>"$tmp/canon.err"
status=$?
[[ $status == 0 ]] && ok || { fail "canonical bootstrap: exit status $status"; show "$tmp/canon.err"; }
read_back "$t" 7 | cut -f4 | tail -n 2 | tr '\n' ' ' >"$tmp/more.got"
[[ $(cat "$tmp/more.got") == "6 7 " ]] && ok || fail "read back after warnings: '$(cat "$tmp/more.got")'"

# ---- a misspelt name is still an error, with a suggestion ----
printf 'bootstrap.servers=%s\nenable.metric.push=false\n' "$BROKERS" >"$tmp/typo.properties"
echo 8 | timeout 60 "$KPROD_BIN" produce -t "$t" -F "$tmp/typo.properties" >"$tmp/typo.out" 2>"$tmp/typo.err"
status=$?
[[ $status == 2 ]] && ok || { fail "typo: exit status $status, expected 2"; show "$tmp/typo.err"; }
grep -qF 'typo.properties:2: Unknown property "enable.metric.push"; did you mean "enable.metrics.push"?' \
    "$tmp/typo.err" && ok || { fail "typo: no did-you-mean"; show "$tmp/typo.err"; }
# A bad value of an accepted property is checked as Java checks it.
echo 8 | timeout 60 "$KPROD_BIN" produce -b "$BROKERS" -t "$t" -X client.dns.lookup=default \
    >/dev/null 2>"$tmp/bad.err"
status=$?
[[ $status == 2 ]] && grep -qF 'use_all_dns_ips, resolve_canonical_bootstrap_servers_only' "$tmp/bad.err" &&
    ok || { fail "client.dns.lookup=default: exit status $status"; show "$tmp/bad.err"; }

summary
