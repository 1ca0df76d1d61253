/* Helpers of the security tests (see sec_util.h). */
#include "sec_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kps_dir(int cluster) {
    static char dir[2][1024];
    if (!dir[cluster][0]) {
        const char *d = getenv(cluster ? "KPROD_CLUSTER_SECURITY_DIR" : "KPROD_SECURITY_DIR");
        const char *k = getenv("KPROD_KAFKA_DIR");
        if (d && *d)
            snprintf(dir[cluster], sizeof(dir[cluster]), "%s", d);
        else if (k && *k)
            snprintf(dir[cluster], sizeof(dir[cluster]), "%s/%s/security", k,
                     cluster ? "cluster" : "single");
        else
            snprintf(dir[cluster], sizeof(dir[cluster]), "%s/.kafka/%s/security", kpt_src_dir(),
                     cluster ? "cluster" : "single");
    }
    return dir[cluster];
}

const char *kps_env(int cluster, const char *key) {
    static char values[8][512];
    static int next;
    char path[1200];
    snprintf(path, sizeof(path), "%s/env", kps_dir(cluster));
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s missing: start the broker with scripts/kafka.sh start (secured listeners "
                 "on; KPROD_SECURITY_DIR / KPROD_KAFKA_DIR tell where)",
                 path);
    char line[600];
    size_t klen = strlen(key);
    char *v = values[next++ % 8];
    v[0] = '\0';
    int found = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            snprintf(v, 512, "%s", line + klen + 1);
            v[strcspn(v, "\n")] = '\0';
            found = 1;
        }
    fclose(f);
    if (!found)
        fail_msg("%s has no %s", path, key);
    return v;
}

const char *kps_path(int cluster, const char *file) {
    static char paths[8][1200];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 1200, "%s/%s", kps_dir(cluster), file);
    return p;
}

const char *kps_at(const char *port_key) {
    static char at[8][64];
    static int next;
    char *a = at[next++ % 8];
    snprintf(a, 64, "127.0.0.1:%s", kps_env(0, port_key));
    return a;
}

char *kps_expand(const char *v) {
    if (v[0] == '@')
        return strdup(kps_path(0, v + 1));
    if (v[0] == '<') {
        FILE *f = fopen(kps_path(0, v + 1), "r");
        if (!f)
            fail_msg("cannot read %s", kps_path(0, v + 1));
        char *text = calloc(1, 65536);
        size_t n = fread(text, 1, 65535, f);
        text[n] = '\0';
        fclose(f);
        return text;
    }
    char out[1024] = "";
    size_t n = 0;
    for (const char *p = v; *p;) {
        const char *d = strstr(p, "${");
        size_t lit = d ? (size_t)(d - p) : strlen(p);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%.*s", (int)lit, p);
        if (!d)
            break;
        const char *e = strchr(d, '}');
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)(e - d - 2), d + 2);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", kps_env(0, key));
        p = e + 1;
    }
    return strdup(out);
}

kprod_conf_t *kps_conf(int cluster, const char *name, const char *const *extra,
                       kprod_delivery_cb cb, kpt_logcap *lc) {
    kprod_conf_t *c = kprod_conf_new();
    char errstr[512], file[128];
    snprintf(file, sizeof(file), "client-%s.properties", name);
    if (kprod_conf_load_file(c, kps_path(cluster, file), errstr, sizeof(errstr)) != 0)
        fail_msg("%s", errstr);
    for (; extra && extra[0]; extra += 2)
        if (kprod_conf_set(c, extra[0], extra[1], errstr, sizeof(errstr)) != 0)
            fail_msg("%s: %s", extra[0], errstr);
    if (cb)
        kprod_conf_set_delivery_cb(c, cb, NULL);
    if (lc)
        kpt_logcap_install(c, lc);
    return c;
}

/* Splits a consumer's stdout into lines. */
static char **lines(char *out, int *n) {
    int cap = 16;
    char **v = malloc((size_t)cap * sizeof(*v));
    *n = 0;
    for (char *s = strtok(out, "\n"); s; s = strtok(NULL, "\n")) {
        if (*n == cap)
            v = realloc(v, (size_t)(cap *= 2) * sizeof(*v));
        v[(*n)++] = strdup(s);
    }
    return v;
}

/* Runs a consumer command (printf-style) and checks it printed exactly
 * count lines. */
static char **run_reader(const char *who, const char *topic, int count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static char **run_reader(const char *who, const char *topic, int count, const char *fmt, ...) {
    char cmd[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    size_t cap = 4 << 20;
    char *out = malloc(cap);
    assert_non_null(out);
    int rc = kpt_sh(out, cap, "%s", cmd);
    int n;
    char **v = lines(out, &n);
    free(out);
    if (rc != 0 || n != count)
        fail_msg("%s read %d of %d records of %s (exit %d)", who, n, count, topic, rc);
    return v;
}

char **kps_read_kcat(int cluster, const char *name, const char *bootstrap, const char *topic,
                     int partition, int count) {
    char conf[128], part[32] = "", who[160];
    snprintf(conf, sizeof(conf), "kcat-%s.conf", name);
    snprintf(who, sizeof(who), "kcat (%s)", name);
    if (partition >= 0)
        snprintf(part, sizeof(part), "-p %d", partition);
    return run_reader(who, topic, count,
                      "timeout 30 kcat -C -q -F '%s' -b '%s' -t '%s' %s -o beginning -c %d "
                      "-f '%%s\\n' 2>/dev/null",
                      kps_path(cluster, conf), bootstrap, topic, part, count);
}

char **kps_read_java(int cluster, const char *name, const char *bootstrap, const char *topic,
                     int partition, int count) {
    char props[128], part[48], who[160];
    snprintf(props, sizeof(props), "client-%s.properties", name);
    snprintf(who, sizeof(who), "the console consumer (%s)", name);
    if (partition >= 0)
        snprintf(part, sizeof(part), "--partition %d --offset earliest", partition);
    else
        snprintf(part, sizeof(part), "--from-beginning");
    return run_reader(who, topic, count,
                      "timeout 60 bash '%s/scripts/kafka.sh' console-consumer --bootstrap-server "
                      "'%s' --command-config '%s' --topic '%s' %s --max-messages %d "
                      "--timeout-ms 30000 2>/dev/null",
                      kpt_src_dir(), bootstrap, kps_path(cluster, props), topic, part, count);
}

void kps_values_free(char **v, int count) {
    for (int i = 0; i < count; i++)
        free(v[i]);
    free(v);
}

void kps_expect_values(char **values, int n, const char *prefix) {
    unsigned char *seen = calloc((size_t)n, 1);
    size_t plen = strlen(prefix);
    for (int i = 0; i < n; i++) {
        char *end;
        if (strncmp(values[i], prefix, plen) != 0 || values[i][plen] != '-')
            fail_msg("unexpected value \"%s\" (wanted %s-N)", values[i], prefix);
        long k = strtol(values[i] + plen + 1, &end, 10);
        if (*end || k < 0 || k >= n || seen[k]++)
            fail_msg("value \"%s\" out of range or twice", values[i]);
    }
    free(seen);
}
