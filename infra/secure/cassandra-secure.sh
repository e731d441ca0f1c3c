# Cassandra's part of the secured stack, sourced by infra/scripts/cassandra.sh in secure mode (do
# not run). PasswordAuthenticator, TLS-only native protocol (optional: false), the default
# cassandra/cassandra super user replaced by $SECURE_CASSANDRA_ADMIN and disabled, and a login
# role $SECURE_CASSANDRA_USER for the application (no authorizer: roles are for authentication).

CLUSTER_NAME=vigil-secure
AUTHENTICATOR=PasswordAuthenticator
# Its own class archive: two JVMs recording the same file at exit would clash.
CDS_ARCHIVE="$LIB_DIR/cassandra-cds-secure.jsa"

cassandra_secure_yaml() {
  cat <<YAML
# --- secure stack (infra/secure/cassandra-secure.sh) ---
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${SECURE_TLS_DIR}/server.keystore.jks
  keystore_password: $(secret store.password)
  require_client_auth: false
YAML
}

cassandra_secure_roles() {
  run_ts "$VIGIL_ROOT/infra/secure/cassandra-roles.ts" --wait "$VIGIL_HEALTH_TIMEOUT" \
    || { print_tail "$DIR/logs/system.log"; die "could not set up the cassandra roles"; }
}
