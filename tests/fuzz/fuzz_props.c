/* The properties-file parser (src/props.c, kp_props_parse), and what
 * kprod_conf_load_file does with its entries: each is set on a conf with
 * kprod_conf_set until one is refused (the parse itself goes on to the
 * end), then the conf is resolved (kp_conf_resolve) as kprod_new does.
 * Checks: keys and values are C strings no longer than the input (escapes
 * only shrink), entries come in line order, a callback's error stops the
 * parse at its line, and an error names a line. The whole input is the
 * file; the dictionary fuzz.sh passes (props.dict, from the generator)
 * holds every property name. */
#include "fuzz_util.h"

#include "config.h"
#include "kprod.h"
#include "props.h"

typedef struct ctx {
    kprod_conf_t *conf;
    size_t size;
    int last_line;
    int entries;
    int stop_line;
    int set_failed;
} ctx;

static kprod_err_t on_entry(const char *key, const char *value, int line, void *opaque) {
    ctx *c = opaque;
    size_t kl = strlen(key), vl = strlen(value);
    KPF_CHECK(kl + vl <= c->size);
    KPF_CHECK(line > c->last_line);
    c->last_line = line;
    c->entries++;
    if (strcmp(key, "fuzz.stop") == 0) {
        c->stop_line = line;
        return KPROD_ERR__INVALID_ARG; /* a callback's error ends the parse */
    }
    if (c->set_failed)
        return KPROD_ERR_NO_ERROR; /* parse on, but set no more (as a file load stops) */
    char err[512];
    err[0] = '\0';
    if (kprod_conf_set(c->conf, key, value, err, sizeof(err)) != KPROD_ERR_NO_ERROR) {
        kpf_touch_str(err);
        c->set_failed = 1; /* an unknown name costs a typo search: once per input */
    } else {
        char got[1024];
        KPF_CHECK(kprod_conf_get(c->conf, key, got, sizeof(got)) == KPROD_ERR_NO_ERROR);
        kpf_touch_str(got);
    }
    return KPROD_ERR_NO_ERROR;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ctx c = {.conf = kprod_conf_new(), .size = size};
    KPF_CHECK(c.conf != NULL);
    char err[512];
    KPF_CHECK(kprod_conf_set(c.conf, "bootstrap.servers", "127.0.0.1:9092", err, sizeof(err)) ==
              KPROD_ERR_NO_ERROR);
    int line = -7;
    char errstr[256];
    errstr[0] = '\0';
    kprod_err_t e =
        kp_props_parse((const char *)data, size, on_entry, &c, &line, errstr, sizeof(errstr));
    if (c.stop_line) {
        KPF_CHECK(e == KPROD_ERR__INVALID_ARG && line == c.stop_line);
    } else if (e) {
        KPF_CHECK(e == KPROD_ERR__INVALID_CONFIG || e == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(line >= 1 && strlen(errstr) > 0);
    } else {
        KPF_CHECK(line == -7); /* only set on error */
    }
    kp_config cfg;
    if (kp_conf_resolve(c.conf, &cfg, err, sizeof(err)) == KPROD_ERR_NO_ERROR)
        kp_config_free(&cfg);
    else
        kpf_touch_str(err);
    kprod_conf_destroy(c.conf);
    return 0;
}
