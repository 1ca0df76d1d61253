#!/usr/bin/env bash
# The kprod CLI over secured listeners (scripts/kafka.sh): the Java client
# properties files work as they are with -F (produce over SASL_SSL
# SCRAM-SHA-512 and mutual TLS, read back with Kafka's console consumer
# over the same protocol; metadata over SSL), a refused authentication
# ends the run within seconds with one clear line, and no secret is ever
# echoed: not a rejected -X (with or without '='), not a JAAS text that
# does not parse, not a password that the broker refuses.
source "$KPROD_SRC/tests/cli/lib.sh"
unset KPROD_BROKERS # it would override the files' bootstrap.servers

SEC=${KPROD_SECURITY_DIR:-${KPROD_KAFKA_DIR:-$KPROD_SRC/.kafka}/single/security}
[[ -f $SEC/env ]] || {
    echo "FAIL: $SEC/env missing: start the broker with scripts/kafka.sh start"
    exit 1
}
env_of() { sed -n "s/^$1=//p" "$SEC/env"; }
PASSWORD=$(env_of PASSWORD)
STORE_PASSWORD=$(env_of STORE_PASSWORD)
SECRET=cli-s3cret-$$
K="$KPROD_SRC/scripts/kafka.sh"
PLAIN_AT=127.0.0.1:$(env_of PLAINTEXT_PORT)
topic=kprod-cli-sec-$$-$RANDOM
bash "$K" topics --bootstrap-server "$PLAIN_AT" --create --topic "$topic" --partitions 1 \
    --replication-factor 1 >"$tmp/topic.out" 2>&1 || { fail "topic"; show "$tmp/topic.out"; }

# no_secret FILE WHAT: none of the secrets appears in FILE.
no_secret() {
    if grep -qF -e "$PASSWORD" -e "$STORE_PASSWORD" -e "$SECRET" "$1"; then
        fail "$2: a secret in the output"
        show "$1"
    else
        ok
    fi
}

# ---- produce with the Java files, read back over the same protocol ----
for name in sasl-ssl-scram-sha-512 mtls; do
    seq 1 5 | sed "s/^/$name-/" >"$tmp/in.$name"
    if "$KPROD_BIN" produce -t "$topic" -F "$SEC/client-$name.properties" "$tmp/in.$name" \
        >"$tmp/out.$name" 2>"$tmp/err.$name"; then ok; else
        fail "produce -F client-$name.properties"
        show "$tmp/err.$name"
    fi
    no_secret "$tmp/err.$name" "produce $name"
done
at=127.0.0.1:$(env_of SASL_SSL_PORT)
timeout 60 bash "$K" console-consumer --bootstrap-server "$at" \
    --command-config "$SEC/client-sasl-ssl-scram-sha-512.properties" --topic "$topic" \
    --from-beginning --max-messages 10 --timeout-ms 30000 >"$tmp/read" 2>"$tmp/read.err"
if diff <(sort "$tmp/read") <(sort "$tmp/in.sasl-ssl-scram-sha-512" "$tmp/in.mtls") >/dev/null; then
    ok
else
    fail "read back over SASL_SSL SCRAM-SHA-512"
    show "$tmp/read"
fi

if "$KPROD_BIN" metadata -F "$SEC/client-ssl.properties" -t "$topic" >"$tmp/md" 2>"$tmp/md.err" &&
    grep -q "$topic" "$tmp/md"; then ok; else
    fail "metadata over SSL"
    show "$tmp/md.err"
fi

# ---- a refused password: one clear line, within seconds, no secret ----
jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"kprod\" password=\"$SECRET\";"
start=$SECONDS
printf 'a\nb\nc\n' | timeout 60 "$KPROD_BIN" produce -t "$topic" \
    -F "$SEC/client-sasl-scram-sha-512.properties" -X "sasl.jaas.config=$jaas" \
    >"$tmp/auth.out" 2>"$tmp/auth.err"
st=$?
((st != 0 && SECONDS - start < 10)) && ok || { fail "refused password: exit $st after $((SECONDS - start)) s"; show "$tmp/auth.err"; }
n=$(grep -c "ERROR security: SASL authentication (SCRAM-SHA-512, user kprod) with .* failed: SASL_AUTHENTICATION_FAILED: Authentication failed" "$tmp/auth.err")
[[ $n == 1 ]] && ok || { fail "refused password: $n error lines from the library, expected 1"; show "$tmp/auth.err"; }
grep -q "^stdin:1: error SASL_AUTHENTICATION_FAILED" "$tmp/auth.err" && ok ||
    { fail "refused password: no error line for the input"; show "$tmp/auth.err"; }
no_secret "$tmp/auth.err" "refused password"

# ---- rejected -X: the value of a secret is never echoed ----
"$KPROD_BIN" produce -b "$PLAIN_AT" -t t -X "ssl.key.password=$SECRET" -X "no.such.prop=$SECRET" \
    </dev/null >"$tmp/x1" 2>&1
grep -q "no.such.prop" "$tmp/x1" && ok || { fail "-X unknown: not named"; show "$tmp/x1"; }
no_secret "$tmp/x1" "-X unknown property with a secret value"
"$KPROD_BIN" produce -b "$PLAIN_AT" -t t -X "ssl.truststore.password:$SECRET" </dev/null \
    >"$tmp/x2" 2>&1
grep -q "expected name=value" "$tmp/x2" && ok || { fail "-X without =: no message"; show "$tmp/x2"; }
no_secret "$tmp/x2" "-X without ="
"$KPROD_BIN" produce -b "$PLAIN_AT" -t t \
    -X "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password=\"$SECRET\"" \
    </dev/null >"$tmp/x3" 2>&1
grep -q "missing ';'" "$tmp/x3" && ok || { fail "-X jaas: no reason"; show "$tmp/x3"; }
no_secret "$tmp/x3" "-X sasl.jaas.config that does not parse"
"$KPROD_BIN" produce -b "$PLAIN_AT" -t t -X security.protocol=SSL \
    -X "ssl.keystore.location=$SEC/client.p12" -X "ssl.keystore.password=$SECRET" </dev/null \
    >"$tmp/x4" 2>&1
grep -q "no key and certificate this password opens" "$tmp/x4" && ok ||
    { fail "wrong keystore password: no reason"; show "$tmp/x4"; }
no_secret "$tmp/x4" "wrong keystore password"

bash "$K" topics --bootstrap-server "$PLAIN_AT" --delete --topic "$topic" >/dev/null 2>&1 || true
summary
