# scripts/kafka-security.sh: the secured listeners of scripts/kafka.sh
# (sourced by it; not run alone). At each fresh start of a setup it makes,
# with openssl, a CA and the certificates the listeners and the tests need,
# new random passwords, the SCRAM credentials for the format step, and
# client properties files (Java's names, for Kafka's console consumer and
# for kprod, which reads the same files) and kcat config files (librdkafka's
# names) for each listener and mechanism. Everything lives in
# <node dir's parent>/security and is described by its `env` file.
#
# Single node listeners, from SINGLE_SECURE_PORT (S):
#   S+0 SSL             server certificate for 127.0.0.1 and localhost
#   S+1 MTLS            SSL, ssl.client.auth=required (client certificate)
#   S+2 SASL_PLAINTEXT  PLAIN, SCRAM-SHA-256, SCRAM-SHA-512;
#                       connections.max.reauth.ms=REAUTH_MS (re-authentication)
#   S+3 SASL_SSL        SCRAM-SHA-512, PLAIN, OAUTHBEARER (unsecured JWS tokens)
#   S+4 WRONGHOST       SSL with a certificate for wrong.example only
#   S+5 EXPIRED         SSL with a certificate that expired in 2021
# Cluster: one SASL_SSL listener (SCRAM-SHA-512) per node, from
# CLUSTER_SECURE_PORT.

sec_dir() { # setup
    if [[ $1 == single ]]; then echo "$RUN_DIR/single/security"; else echo "$RUN_DIR/cluster/security"; fi
}

# Secured ports of a node, for the port check.
sec_ports() { # setup id
    ((SECURITY)) || return 0
    if [[ $1 == single ]]; then
        seq "$SINGLE_SECURE_PORT" $((SINGLE_SECURE_PORT + 5))
    else
        echo $((CLUSTER_SECURE_PORT + $2 - 1))
    fi
}

sec_password() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }

# A key and a certificate signed by the test CA: NAME SUBJECT SAN [START END].
sec_issue() {
    local name=$1 subj=$2 san=$3 dates=()
    if [[ -n ${4:-} ]]; then dates=(-startdate "$4" -enddate "$5"); else dates=(-days 3650); fi
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" \
        -out "$name.csr" -subj "$subj" ${san:+-addext "subjectAltName=$san"} 2>/dev/null
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in "$name.csr" \
        -out "$name.pem" -notext "${dates[@]}" 2>/dev/null
    rm -f "$name.csr"
}

# A PKCS12 keystore of NAME's key and certificate (with the CA) for the broker.
sec_p12() { # name password
    openssl pkcs12 -export -in "$1.pem" -inkey "$1.key" -certfile ca.pem -name "$1" \
        -out "$1.p12" -passout "pass:$2"
}

# Makes the CA, certificates, stores, passwords and client files of a setup.
sec_make() { # setup
    local dir pw sp
    dir=$(sec_dir "$1")
    rm -rf "$dir"
    mkdir -p "$dir"
    pw=$(sec_password)
    sp=$(sec_password)
    (
        cd "$dir"
        umask 077
        cat >ca.cnf <<'EOF'
[ ca ]
default_ca = test_ca
[ test_ca ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any_name
copy_extensions = copy
unique_subject = no
[ any_name ]
commonName = supplied
EOF
        : >index.txt
        echo 01 >serial
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
            -out ca.pem -days 3650 -subj "/CN=kprod test CA" 2>/dev/null
        # A CA nobody trusts, for the untrusted-certificate test.
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key \
            -out other-ca.pem -days 3650 -subj "/CN=kprod other CA" 2>/dev/null
        sec_issue broker "/CN=localhost" "IP:127.0.0.1,DNS:localhost"
        sec_issue wronghost "/CN=wrong.example" "DNS:wrong.example"
        sec_issue expired "/CN=localhost" "IP:127.0.0.1,DNS:localhost" 20200101000000Z 20210101000000Z
        sec_issue client "/CN=kprod-client" ""
        for n in broker wronghost expired; do sec_p12 "$n" "$sp"; done
        # Client stores in every form the tests load: PEM files, an
        # encrypted PKCS#8 key, PKCS12 keystore and truststore, and a JKS
        # truststore (refused by kprod with how to convert it).
        openssl pkcs8 -topk8 -in client.key -out client-enc.key -v2 aes-256-cbc -passout "pass:$sp"
        cat client.key client.pem >client-bundle.pem
        sec_p12 client "$sp"
        openssl pkcs12 -export -nokeys -in ca.pem -out ca.p12 -passout "pass:$sp"
        if command -v keytool >/dev/null; then
            keytool -importcert -noprompt -alias ca -file ca.pem -keystore ca.jks -storetype JKS \
                -storepass "$sp" >/dev/null 2>&1 || rm -f ca.jks
        fi
        rm -f index.txt* serial* ./*.csr [0-9A-F][0-9A-F].pem
    ) || die "making the test certificates in $dir failed (openssl)"
    sec_write_env "$1" "$dir" "$pw" "$sp"
    sec_client_files "$1" "$dir" "$pw" "$sp"
}

sec_write_env() { # setup dir password store-password
    local setup=$1 dir=$2 s=$SINGLE_SECURE_PORT
    {
        echo "# Written by scripts/kafka.sh at start: the secured listeners of the $setup setup."
        echo "SEC_DIR=$dir"
        if [[ $setup == single ]]; then
            echo "SSL_PORT=$s"
            echo "MTLS_PORT=$((s + 1))"
            echo "SASL_PLAINTEXT_PORT=$((s + 2))"
            echo "SASL_SSL_PORT=$((s + 3))"
            echo "WRONGHOST_PORT=$((s + 4))"
            echo "EXPIRED_PORT=$((s + 5))"
            echo "PLAINTEXT_PORT=$SINGLE_PORT"
            echo "REAUTH_MS=$REAUTH_MS"
        else
            local id list=''
            for id in $(node_ids cluster); do list+="${list:+,}127.0.0.1:$((CLUSTER_SECURE_PORT + id - 1))"; done
            echo "SASL_SSL_BROKERS=$list"
        fi
        echo "USER=kprod"
        echo "PASSWORD=$3"
        echo "STORE_PASSWORD=$4"
    } >"$dir/env"
    chmod 600 "$dir/env"
}

# name=value lines of the Java client properties for one listener/mechanism.
sec_java_props() { # dir bootstrap protocol mechanism password store-password
    local dir=$1 boot=$2 proto=$3 mech=$4 pw=$5 sp=$6
    echo "bootstrap.servers=$boot"
    echo "security.protocol=$proto"
    if [[ $proto == *SSL* ]]; then
        echo "ssl.truststore.type=PEM"
        echo "ssl.truststore.location=$dir/ca.pem"
    fi
    case $mech in
    mtls)
        echo "ssl.keystore.type=PKCS12"
        echo "ssl.keystore.location=$dir/client.p12"
        echo "ssl.keystore.password=$sp"
        echo "ssl.key.password=$sp"
        ;;
    PLAIN)
        echo "sasl.mechanism=PLAIN"
        echo "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"kprod\" password=\"$pw\";"
        ;;
    SCRAM-*)
        echo "sasl.mechanism=$mech"
        echo "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"kprod\" password=\"$pw\";"
        ;;
    OAUTHBEARER)
        echo "sasl.mechanism=OAUTHBEARER"
        echo "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"kprod\";"
        ;;
    esac
}

# The same for kcat (librdkafka's names).
sec_kcat_props() { # dir protocol mechanism password store-password
    local dir=$1 proto=$2 mech=$3 pw=$4 sp=$5
    echo "security.protocol=$proto"
    [[ $proto == *SSL* ]] && echo "ssl.ca.location=$dir/ca.pem"
    case $mech in
    mtls)
        echo "ssl.certificate.location=$dir/client.pem"
        echo "ssl.key.location=$dir/client-enc.key"
        echo "ssl.key.password=$sp"
        ;;
    PLAIN | SCRAM-*)
        echo "sasl.mechanisms=$mech"
        echo "sasl.username=kprod"
        echo "sasl.password=$pw"
        ;;
    OAUTHBEARER)
        echo "sasl.mechanisms=OAUTHBEARER"
        echo "enable.sasl.oauthbearer.unsecure.jwt=true"
        echo "sasl.oauthbearer.config=principal=kprod"
        ;;
    esac
}

# client-NAME.properties (Java) and kcat-NAME.conf for each listener and
# mechanism of the setup.
sec_client_files() { # setup dir password store-password
    local setup=$1 dir=$2 pw=$3 sp=$4 s=$SINGLE_SECURE_PORT entry name port proto mech
    local entries
    if [[ $setup == single ]]; then
        entries=("ssl $s SSL -" "mtls $((s + 1)) SSL mtls"
            "sasl-plain $((s + 2)) SASL_PLAINTEXT PLAIN"
            "sasl-scram-sha-256 $((s + 2)) SASL_PLAINTEXT SCRAM-SHA-256"
            "sasl-scram-sha-512 $((s + 2)) SASL_PLAINTEXT SCRAM-SHA-512"
            "sasl-ssl-scram-sha-512 $((s + 3)) SASL_SSL SCRAM-SHA-512"
            "sasl-ssl-plain $((s + 3)) SASL_SSL PLAIN"
            "sasl-ssl-oauthbearer $((s + 3)) SASL_SSL OAUTHBEARER")
    else
        entries=("sasl-ssl-scram-sha-512 - SASL_SSL SCRAM-SHA-512")
    fi
    for entry in "${entries[@]}"; do
        read -r name port proto mech <<<"$entry"
        local boot=127.0.0.1:$port
        [[ $setup == cluster ]] && boot=$(sed -n 's/^SASL_SSL_BROKERS=//p' "$dir/env")
        sec_java_props "$dir" "$boot" "$proto" "$mech" "$pw" "$sp" >"$dir/client-$name.properties"
        sec_kcat_props "$dir" "$proto" "$mech" "$pw" "$sp" >"$dir/kcat-$name.conf"
    done
    chmod 600 "$dir"/*.properties "$dir"/*.conf
}

# ",NAME://127.0.0.1:PORT..." for the listeners and advertised.listeners
# lines of a node, and ",NAME:PROTOCOL..." for its protocol map ("" when
# KPROD_KAFKA_SECURITY=0).
sec_listener_list() { # setup id
    ((SECURITY)) || return 0
    local s=$SINGLE_SECURE_PORT
    if [[ $1 == single ]]; then
        echo ",SSL://127.0.0.1:$s,MTLS://127.0.0.1:$((s + 1)),SASL_PLAINTEXT://127.0.0.1:$((s + 2)),SASL_SSL://127.0.0.1:$((s + 3)),WRONGHOST://127.0.0.1:$((s + 4)),EXPIRED://127.0.0.1:$((s + 5))"
    else
        echo ",SASL_SSL://127.0.0.1:$((CLUSTER_SECURE_PORT + $2 - 1))"
    fi
}
sec_protocol_map() { # setup
    ((SECURITY)) || return 0
    if [[ $1 == single ]]; then
        echo ",SSL:SSL,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,WRONGHOST:SSL,EXPIRED:SSL"
    else
        echo ",SASL_SSL:SASL_SSL"
    fi
}

# The other server.properties lines of the secured listeners.
sec_server_props() { # setup
    ((SECURITY)) || return 0
    local setup=$1 dir sp pw
    dir=$(sec_dir "$setup")
    sp=$(sed -n 's/^STORE_PASSWORD=//p' "$dir/env")
    pw=$(sed -n 's/^PASSWORD=//p' "$dir/env")
    local scram='org.apache.kafka.common.security.scram.ScramLoginModule required;'
    cat <<EOF
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/broker.p12
ssl.keystore.password=$sp
ssl.key.password=$sp
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram
EOF
    if [[ $setup == cluster ]]; then
        echo "listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512"
        return 0
    fi
    cat <<EOF
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_kprod="$pw";
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";
listener.name.mtls.ssl.client.auth=required
listener.name.mtls.ssl.truststore.type=PEM
listener.name.mtls.ssl.truststore.location=$dir/ca.pem
listener.name.wronghost.ssl.keystore.location=$dir/wronghost.p12
listener.name.expired.ssl.keystore.location=$dir/expired.p12
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_kprod="$pw";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$scram
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram
listener.name.sasl_plaintext.connections.max.reauth.ms=$REAUTH_MS
EOF
}

# The storage tool's arguments that create the SCRAM user at format time.
sec_format_args() { # setup
    ((SECURITY)) || return 0
    local pw
    pw=$(sed -n 's/^PASSWORD=//p' "$(sec_dir "$1")/env")
    echo "--add-scram"
    echo "SCRAM-SHA-256=[name=kprod,password=$pw]"
    echo "--add-scram"
    echo "SCRAM-SHA-512=[name=kprod,password=$pw]"
}
