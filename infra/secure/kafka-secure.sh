# Kafka's part of the secured stack, sourced by infra/scripts/kafka.sh in secure mode (do not run).
# One SASL_SSL listener for clients (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, client certificates
# required), the KRaft controller on TLS with client certificates, no plaintext listener at all.
# The StandardAuthorizer lets $SECURE_KAFKA_USER read and write but not create topics.

kafka_listener_settings() { # sets the listener variables write_config prints
  listeners="SASL_SSL://${KAFKA_HOST}:${KAFKA_PORT},CONTROLLER://${KAFKA_HOST}:${KAFKA_CONTROLLER_PORT}"
  advertised="SASL_SSL://${KAFKA_HOST}:${KAFKA_PORT}"
  inter_broker=SASL_SSL
  protocol_map="CONTROLLER:SSL,SASL_SSL:SASL_SSL"
}

kafka_secure_properties() {
  local t="$SECURE_TLS_DIR" pw admin_pw app_pw
  pw="$(secret store.password)"; admin_pw="$(secret kafka-admin.password)"; app_pw="$(secret kafka-app.password)"
  local scram="org.apache.kafka.common.security.scram.ScramLoginModule required"
  cat <<EOF
# --- secure stack (infra/secure/kafka-secure.sh) ---
ssl.keystore.location=$t/server.keystore.jks
ssl.keystore.password=$pw
ssl.key.password=$pw
ssl.truststore.location=$t/truststore.jks
ssl.truststore.password=$pw
ssl.client.auth=required
# on a SASL_SSL listener Kafka ignores the plain setting (KIP-684): client certificates there too
listener.name.sasl_ssl.ssl.client.auth=required
ssl.endpoint.identification.algorithm=https
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram username="$SECURE_KAFKA_ADMIN" password="$admin_pw";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$scram;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SECURE_KAFKA_ADMIN="$admin_pw" user_$SECURE_KAFKA_USER="$app_pw";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# the controller link authenticates with the server certificate
super.users=User:$SECURE_KAFKA_ADMIN;User:CN=localhost,O=Vigil
EOF
}

# Both SCRAM mechanisms for both users, written into the metadata log at format time.
kafka_format_args() {
  local m u
  for m in SCRAM-SHA-256 SCRAM-SHA-512; do
    for u in "$SECURE_KAFKA_ADMIN:kafka-admin.password" "$SECURE_KAFKA_USER:kafka-app.password"; do
      printf '%s\0' --add-scram "$m=[name=${u%%:*},password=$(secret "${u#*:}")]"
    done
  done
}

# Client properties for Kafka's own tools (TopicCommand, AclCommand) as the admin user.
kafka_admin_properties() {
  local t="$SECURE_TLS_DIR" pw; pw="$(secret store.password)"
  (umask 077; cat >"$DIR/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SECURE_KAFKA_ADMIN" password="$(secret kafka-admin.password)";
ssl.truststore.location=$t/truststore.jks
ssl.truststore.password=$pw
ssl.keystore.location=$t/client.keystore.jks
ssl.keystore.password=$pw
ssl.key.password=$pw
EOF
)
}

# The app user's rights, granted once per data dir (ACLs live in the metadata log).
kafka_grant_app() {
  local marker="$DIR/data/.acls-granted"
  [[ -f "$marker" ]] && return 0
  local acl=(java -Xmx128m -Dlog4j.configuration="file:$DIR/log4j.properties" -cp "$LIB_DIR/lib/*"
    kafka.admin.AclCommand --bootstrap-server "$KAFKA_BROKERS" --command-config "$DIR/admin.properties"
    --add --allow-principal "User:$SECURE_KAFKA_USER")
  log "granting $SECURE_KAFKA_USER read/write on topics, groups and transactional ids (no create)"
  { "${acl[@]}" --operation Read --operation Write --operation Describe --operation DescribeConfigs --topic '*' \
    && "${acl[@]}" --operation Read --operation Describe --group '*' \
    && "${acl[@]}" --operation Write --operation Describe --transactional-id '*' \
    && "${acl[@]}" --operation IdempotentWrite --operation Describe --cluster; } >>"$DIR/logs/acls.log" 2>&1 \
    || { print_tail "$DIR/logs/acls.log"; die "could not grant the app user's ACLs"; }
  touch "$marker"
}
