# The secured stack: a second set of services with TLS and authentication, beside the plaintext one.
# Sourced by infra/scripts/lib.sh (after stack.env) when VIGIL_SECURE=1, e.g. through
# `infra/stack.sh up --secure`. Do not run it.
#
# Everything lives under $VIGIL_STACK_DIR/secure/: per-service folders as in the plaintext stack,
# plus tls/ (a throwaway CA, server and client certificates, Java key and trust stores) and
# secrets/ (one random password per file). Both are generated on first use and kept; delete the
# folder (stack stopped) to start over. The client settings are written to $VIGIL_STACK_DIR/secure.env.

# --- ports (their own, so both stacks run at once; 19xxx is the README's second-plaintext-stack example) ---
: "${SECURE_KAFKA_PORT:=29092}"
: "${SECURE_KAFKA_CONTROLLER_PORT:=29093}"
: "${SECURE_CASSANDRA_PORT:=29042}"
: "${SECURE_CASSANDRA_STORAGE_PORT:=27000}"
: "${SECURE_CASSANDRA_HEAP_OPTS:=-Xms256m -Xmx512m}"
: "${SECURE_S3_PORT:=29000}"
: "${SECURE_PGPORT:=25432}"
: "${SECURE_UPSTASH_BRIDGE_PORT:=28079}"
: "${SECURE_REDIS_PORT:=26379}"          # our own Redis with a password, behind the bridge

# --- users (secrets are generated, never chosen) ---
SECURE_KAFKA_ADMIN=vigil-admin        # broker-to-broker and topic administration (super user)
SECURE_KAFKA_USER=vigil-app           # the aggregator: may produce and consume, may not create topics
SECURE_CASSANDRA_ADMIN=vigil_admin    # replaces the default cassandra/cassandra super user (disabled)
SECURE_CASSANDRA_USER=vigil_app
SECURE_PG_ADMIN=vigil_admin           # the cluster's bootstrap super user
SECURE_PG_USER=vigil_app              # owns database $SECURE_PGDATABASE
SECURE_PGDATABASE=vigil

STACK_DIR="$STACK_DIR/secure"
SECURE_TLS_DIR="$STACK_DIR/tls"
SECURE_SECRETS_DIR="$STACK_DIR/secrets"
# Next to the plaintext stack's folders, where the issue says operators find it.
SECURE_ENV_FILE="$(dirname "$STACK_DIR")/secure.env"

secret_file() { printf '%s/%s' "$SECURE_SECRETS_DIR" "$1"; }
secret() { cat "$(secret_file "$1")"; }

SECRET_NAMES=(store.password kafka-admin.password kafka-app.password cassandra-admin.password
  cassandra-app.password postgres-admin.password postgres-app.password s3-access-key-id
  s3-secret-access-key bridge-token redis.password)

# x509 extensions per certificate; the server one also signs in as a client (Kafka's controller link).
tls_ext() { # server|client
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
  if [[ "$1" == server ]]; then
    printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
  else
    printf 'extendedKeyUsage=clientAuth\n'
  fi
}

issue_cert() { # name subject
  local t="$SECURE_TLS_DIR"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$t/$1.key" -subj "$2" -out "$t/$1.csr" 2>/dev/null
  openssl x509 -req -in "$t/$1.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial -days 825 -sha256 \
    -extfile <(tls_ext "$1") -out "$t/$1.crt" 2>/dev/null
  rm -f "$t/$1.csr"
}

# JKS for the JVM servers (Kafka's, Cassandra's and Jetty's default store type), via keytool.
java_keystore() { # name
  local t="$SECURE_TLS_DIR" pw; pw="$(secret store.password)"
  openssl pkcs12 -export -in "$t/$1.crt" -inkey "$t/$1.key" -certfile "$t/ca.crt" -name "vigil-$1" \
    -passout "pass:$pw" -out "$t/$1.p12"
  keytool -importkeystore -noprompt -srckeystore "$t/$1.p12" -srcstoretype PKCS12 -srcstorepass "$pw" \
    -destkeystore "$t/$1.keystore.jks" -deststoretype JKS -deststorepass "$pw" -destkeypass "$pw" >/dev/null 2>&1
  rm -f "$t/$1.p12"
}

generate_tls() {
  local t="$SECURE_TLS_DIR" pw; pw="$(secret store.password)"
  log "generating a throwaway CA, server and client certificates in $t"
  rm -rf "$t.tmp"; mkdir -p "$t.tmp"; local final="$t"; SECURE_TLS_DIR="$t.tmp"; t="$t.tmp"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/ca.key" -out "$t/ca.crt" -days 825 -sha256 \
    -subj "/O=Vigil/CN=Vigil secure-stack throwaway CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  issue_cert server "/O=Vigil/CN=localhost"
  issue_cert client "/O=Vigil/CN=vigil-client"
  java_keystore server
  java_keystore client
  keytool -importcert -noprompt -alias vigil-ca -file "$t/ca.crt" -keystore "$t/truststore.jks" \
    -storetype JKS -storepass "$pw" >/dev/null 2>&1
  chmod 600 "$t"/*.key "$t"/*.jks
  rm -rf "$final"; mv "$t" "$final"; SECURE_TLS_DIR="$final"
}

# Idempotent: secrets and certificates are made once; a lock keeps parallel service starts apart.
secure_material() {
  mkdir -p "$STACK_DIR"
  (
    flock 9
    mkdir -p "$SECURE_SECRETS_DIR"; chmod 700 "$SECURE_SECRETS_DIR"
    local n
    for n in "${SECRET_NAMES[@]}"; do
      [[ -s "$(secret_file "$n")" ]] && continue
      # hex: safe unquoted in URLs, JAAS strings, YAML and SCRAM credential specs
      (umask 077; openssl rand -hex 20 >"$(secret_file "$n")")
    done
    [[ -s "$SECURE_TLS_DIR/truststore.jks" ]] || generate_tls
  ) 9>"$STACK_DIR/.material.lock"
}

# The settings the plaintext scripts read, pointed at the secure services.
secure_overrides() {
  KAFKA_PORT="$SECURE_KAFKA_PORT"
  KAFKA_CONTROLLER_PORT="$SECURE_KAFKA_CONTROLLER_PORT"
  KAFKA_BROKERS="${KAFKA_HOST}:${SECURE_KAFKA_PORT}"
  CASSANDRA_PORT="$SECURE_CASSANDRA_PORT"
  CASSANDRA_STORAGE_PORT="$SECURE_CASSANDRA_STORAGE_PORT"
  CASSANDRA_HEAP_OPTS="$SECURE_CASSANDRA_HEAP_OPTS"
  S3_PORT="$SECURE_S3_PORT"
  S3_ENDPOINT="https://${S3_HOST}:${SECURE_S3_PORT}"
  PGPORT="$SECURE_PGPORT"
  UPSTASH_BRIDGE_PORT="$SECURE_UPSTASH_BRIDGE_PORT"
  REDIS_PORT="$SECURE_REDIS_PORT"
  UPSTASH_BRIDGE_TLS_CERT="$SECURE_TLS_DIR/server.crt"
  UPSTASH_BRIDGE_TLS_KEY="$SECURE_TLS_DIR/server.key"
  UPSTASH_REDIS_REST_URL="https://${UPSTASH_BRIDGE_HOST}:${SECURE_UPSTASH_BRIDGE_PORT}"
  export KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_BROKERS CASSANDRA_PORT CASSANDRA_STORAGE_PORT \
    CASSANDRA_HEAP_OPTS S3_PORT S3_ENDPOINT PGPORT UPSTASH_BRIDGE_PORT REDIS_PORT UPSTASH_BRIDGE_TLS_CERT \
    UPSTASH_BRIDGE_TLS_KEY UPSTASH_REDIS_REST_URL
}

# The client settings, named the way Kafka, Cassandra, libpq, AWS and Upstash clients name them.
# Printed as KEY=value lines: secure.env's content, and exported for the health checks.
secure_client_settings() {
  local t="$SECURE_TLS_DIR"
  cat <<EOF
KAFKA_BROKERS=${KAFKA_HOST}:${SECURE_KAFKA_PORT}
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=${SECURE_KAFKA_USER}
KAFKA_SASL_PASSWORD_FILE=$(secret_file kafka-app.password)
KAFKA_SSL_CA_LOCATION=$t/ca.crt
KAFKA_SSL_CERTIFICATE_LOCATION=$t/client.crt
KAFKA_SSL_KEY_LOCATION=$t/client.key
CASSANDRA_CONTACT_POINTS=${CASSANDRA_HOST}:${SECURE_CASSANDRA_PORT}
CASSANDRA_USERNAME=${SECURE_CASSANDRA_USER}
CASSANDRA_PASSWORD_FILE=$(secret_file cassandra-app.password)
CASSANDRA_SSL_CA=$t/ca.crt
CASSANDRA_LOCAL_DC=${CASSANDRA_DC}
DATABASE_URL=postgres://${SECURE_PG_USER}:$(secret postgres-app.password)@${PGHOST}:${SECURE_PGPORT}/${SECURE_PGDATABASE}?sslmode=verify-full&sslrootcert=$t/ca.crt
S3_ENDPOINT=https://${S3_HOST}:${SECURE_S3_PORT}
S3_CA_BUNDLE=$t/ca.crt
S3_ACCESS_KEY_ID=$(secret s3-access-key-id)
S3_SECRET_ACCESS_KEY=$(secret s3-secret-access-key)
S3_REGION=${S3_REGION}
S3_FORCE_PATH_STYLE=true
S3_BUCKET=${S3_BUCKET}
UPSTASH_REDIS_REST_URL=https://${UPSTASH_BRIDGE_HOST}:${SECURE_UPSTASH_BRIDGE_PORT}
UPSTASH_REDIS_REST_TOKEN=$(secret bridge-token)
NODE_EXTRA_CA_CERTS=$t/ca.crt
EOF
}

# Administration only (topics, ACLs, roles), never the application's settings.
secure_admin_settings() {
  cat <<EOF
KAFKA_ADMIN_USERNAME=${SECURE_KAFKA_ADMIN}
KAFKA_ADMIN_PASSWORD_FILE=$(secret_file kafka-admin.password)
KAFKA_ADMIN_PROPERTIES=${STACK_DIR}/kafka/admin.properties
CASSANDRA_ADMIN_USERNAME=${SECURE_CASSANDRA_ADMIN}
CASSANDRA_ADMIN_PASSWORD_FILE=$(secret_file cassandra-admin.password)
REDIS_HOST=${REDIS_HOST}
REDIS_PORT=${SECURE_REDIS_PORT}
REDIS_PASSWORD_FILE=$(secret_file redis.password)
EOF
}

write_secure_env() {
  (umask 077
   { echo "# Client settings for the secure stack, written by infra/stack.sh up --secure. Secrets: $SECURE_SECRETS_DIR"
     secure_client_settings
     echo "# administration: topics (the app user may not create them), ACLs, roles; the bridge's Redis"
     secure_admin_settings; } >"$SECURE_ENV_FILE.tmp")
  mv "$SECURE_ENV_FILE.tmp" "$SECURE_ENV_FILE"
}

secure_material
secure_overrides
while IFS='=' read -r key value; do export "$key=$value"; done < <(secure_client_settings; secure_admin_settings)
# The bridge reads its own token under the server-side name.
export UPSTASH_BRIDGE_TOKEN="$UPSTASH_REDIS_REST_TOKEN"
