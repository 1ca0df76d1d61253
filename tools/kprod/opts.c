/* Shared option handling for the kprod tool (see opts.h). */
#include "opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"

static int push(const char ***arr, size_t *n, const char *s) {
    const char **p = realloc(*arr, (*n + 1) * sizeof(*p));
    if (!p)
        return -1;
    p[(*n)++] = s;
    *arr = p;
    return 0;
}

int cli_conf_add_file(cli_conf_args *a, const char *path) {
    return push(&a->files, &a->n_files, path);
}

int cli_conf_add_prop(cli_conf_args *a, const char *name_eq_value) {
    return push(&a->props, &a->n_props, name_eq_value);
}

void cli_conf_args_free(cli_conf_args *a) {
    free(a->files);
    free(a->props);
    a->files = a->props = NULL;
    a->n_files = a->n_props = 0;
}

/* Sets one property, printing the library's reason verbatim on failure. */
static int conf_set(const char *cmd, kprod_conf_t *conf, const char *what, const char *name,
                    const char *value) {
    char errstr[512] = "";
    kprod_err_t err = kprod_conf_set(conf, name, value, errstr, sizeof(errstr));
    if (err == KPROD_ERR_NO_ERROR)
        return 0;
    cli_err(cmd, "%s: %s", what, errstr[0] ? errstr : kprod_err_str(err));
    return -1;
}

/* The library's log lines, on stderr in the tool's own form: "kprod:
 * WARN broker: connect to ...: Connection refused". Broker texts may be in
 * them, so they are escaped like every other string the tool does not
 * control. Which levels come is log_level's business (cli_conf_build:
 * warnings and errors, -q errors only, -v info too) and debug's (-d). */
static void log_line(int level, const char *ctx, const char *msg, void *opaque) {
    (void)opaque;
    static const char *const names[] = {"EMERG", "ALERT",  "CRIT", "ERROR",
                                        "WARN",  "NOTICE", "INFO", "DEBUG"};
    char *esc = cli_escaped(msg);
    fprintf(stderr, "kprod: %s %s: %s\n", names[level & 7], ctx, esc ? esc : msg);
    free(esc);
}

kprod_conf_t *cli_conf_build(const char *cmd, const cli_conf_args *a, int *exit_code) {
    kprod_conf_t *conf = kprod_conf_new();
    if (!conf) {
        cli_err(cmd, "out of memory");
        *exit_code = CLI_EXIT_FAIL;
        return NULL;
    }
    kprod_conf_set_log_cb(conf, log_line, NULL);
    *exit_code = CLI_EXIT_USAGE;

    for (size_t i = 0; i < a->n_files; i++) {
        char errstr[512] = "";
        kprod_err_t err = kprod_conf_load_file(conf, a->files[i], errstr, sizeof(errstr));
        if (err != KPROD_ERR_NO_ERROR) {
            cli_err(cmd, "-F %s: %s", a->files[i], errstr[0] ? errstr : kprod_err_str(err));
            goto fail;
        }
    }

    /* -v/-q become log_level (before -X, which may still set it), -d
     * the debug property. */
    const char *level = a->verbosity < 0 ? "3" : a->verbosity > 0 ? "6" : "4";
    if (conf_set(cmd, conf, a->verbosity ? (a->verbosity < 0 ? "-q" : "-v") : "the default",
                 "log_level", level) != 0 ||
        (a->debug && conf_set(cmd, conf, "-d", "debug", a->debug) != 0))
        goto fail;

    const char *brokers = a->brokers;
    if (!brokers) {
        const char *env = getenv("KPROD_BROKERS");
        if (env && *env)
            brokers = env;
    }
    if (brokers &&
        conf_set(cmd, conf, a->brokers ? "-b" : "KPROD_BROKERS", "bootstrap.servers", brokers) != 0)
        goto fail;

    for (size_t i = 0; i < a->n_props; i++) {
        const char *p = a->props[i];
        const char *eq = strchr(p, '=');
        if (!eq || eq == p) {
            /* Not echoed: a mistyped "-X ssl.key.password:..." holds a secret. */
            cli_err(cmd, "-X argument %zu: expected name=value (not shown: it may hold a secret)",
                    i + 1);
            goto fail;
        }
        /* The name only: the library's message shows the value where it is
         * no secret, and never a secret's. */
        char what[300];
        snprintf(what, sizeof(what), "-X %.*s", (int)(eq - p), p);
        size_t name_len = (size_t)(eq - p);
        char *name = malloc(name_len + 1);
        if (!name) {
            cli_err(cmd, "out of memory");
            *exit_code = CLI_EXIT_FAIL;
            goto fail;
        }
        memcpy(name, p, name_len);
        name[name_len] = '\0';
        int r = conf_set(cmd, conf, what, name, eq + 1);
        free(name);
        if (r != 0)
            goto fail;
    }

    char servers[1024] = "";
    if (kprod_conf_get(conf, "bootstrap.servers", servers, sizeof(servers)) == KPROD_ERR_NO_ERROR &&
        servers[0] == '\0') {
        cli_err(cmd, "no brokers: give -b HOST:PORT (or -X bootstrap.servers=..., "
                     "or set KPROD_BROKERS)");
        goto fail;
    }
    return conf;

fail:
    kprod_conf_destroy(conf);
    return NULL;
}

kprod_t *cli_producer_new(const char *cmd, kprod_conf_t *conf, int *exit_code) {
    char errstr[512] = "";
    kprod_t *p = NULL;
    kprod_err_t err = kprod_new(conf, &p, errstr, sizeof(errstr));
    if (err == KPROD_ERR_NO_ERROR) {
        *exit_code = CLI_EXIT_OK;
        return p;
    }
    kprod_conf_destroy(conf);
    cli_err(cmd, "%s", errstr[0] ? errstr : kprod_err_str(err));
    switch (err) {
    case KPROD_ERR__INVALID_ARG:
    case KPROD_ERR__UNKNOWN_PROPERTY:
    case KPROD_ERR__INVALID_CONFIG:
    case KPROD_ERR__CONFLICTING_CONFIG:
        *exit_code = CLI_EXIT_USAGE;
        break;
    default:
        *exit_code = CLI_EXIT_FAIL;
        break;
    }
    return NULL;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
