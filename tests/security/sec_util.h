/* Helpers of the security tests (label "security"): where scripts/kafka.sh
 * put the secured listeners' ports, users, passwords and certificates (the
 * `env` file of its security dir), producers made from its Java client
 * properties files, and independent consumers over the same protocol:
 * kcat with its librdkafka config file, or Kafka's own console consumer
 * with the Java properties file where kcat cannot (Debian's librdkafka
 * 2.0.2 fails SCRAM against Kafka 4.x: a client nonce bug fixed in 2.6.1). */
#ifndef KPROD_TEST_SEC_UTIL_H
#define KPROD_TEST_SEC_UTIL_H

#include "testutil.h"

/* The security dir: $KPROD_SECURITY_DIR, else the single broker's under
 * $KPROD_KAFKA_DIR (default <src>/.kafka). cluster: the cluster's. */
const char *kps_dir(int cluster);
/* A value of the env file (fails the test when missing). */
const char *kps_env(int cluster, const char *key);
/* dir/file, in one of a few rotating static buffers. */
const char *kps_path(int cluster, const char *file);
/* "127.0.0.1:<the port named key>" (static, rotating). */
const char *kps_at(const char *port_key);

/* A property value for a test: "${KEY}" parts replaced by the env file's
 * values, "@file" the path of a file of the security dir, "<file" its text.
 * The caller frees it. */
char *kps_expand(const char *v);

/* A conf loaded from client-NAME.properties (a Java client file, as it
 * is), plus name/value pairs (NULL-terminated), the delivery callback and
 * a log capture (either may be NULL). */
kprod_conf_t *kps_conf(int cluster, const char *name, const char *const *extra,
                       kprod_delivery_cb cb, kpt_logcap *lc);

/* Reads count values of topic's partition (-1: all partitions) from the
 * beginning: with kcat and kcat-NAME.conf, or with Kafka's console
 * consumer and client-NAME.properties. Fails the test unless exactly count
 * arrive. Returns them (the caller frees with kps_values_free). */
char **kps_read_kcat(int cluster, const char *name, const char *bootstrap, const char *topic,
                     int partition, int count);
char **kps_read_java(int cluster, const char *name, const char *bootstrap, const char *topic,
                     int partition, int count);
void kps_values_free(char **v, int count);

/* Asserts that values[0..n) are exactly "<prefix>-0" .. "<prefix>-<n-1>",
 * each once, in any order. */
void kps_expect_values(char **values, int n, const char *prefix);

#endif
