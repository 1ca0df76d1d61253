/* Run stamps and the key map (see stamp.h). */
#include "stamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int run_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int cli_stamp_run_ok(const char *run) {
    size_t n = 0;
    for (; run[n]; n++)
        if (!run_char(run[n]) || n >= CLI_STAMP_RUN_MAX)
            return 0;
    return n > 0;
}

static size_t base36(char *p, uint64_t v) {
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

void cli_stamp_new_run(char *buf, size_t cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char tmp[48];
    size_t n = 0;
    tmp[n++] = 'r';
    n += base36(tmp + n, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
    tmp[n++] = '-';
    n += base36(tmp + n, (uint64_t)getpid());
    tmp[n] = '\0';
    snprintf(buf, cap, "%s", tmp);
}

size_t cli_stamp_format(char *buf, size_t cap, const char *run, uint64_t seq) {
    int n = snprintf(buf, cap, "%s:%llu", run, (unsigned long long)seq);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

int cli_stamp_parse(const char *p, size_t len, const char **run, size_t *run_len, uint64_t *seq) {
    size_t i = 0;
    while (i < len && i < CLI_STAMP_RUN_MAX && run_char(p[i]))
        i++;
    if (i == 0 || i >= len || p[i] != ':')
        return 0;
    size_t r = i++;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < len && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
        if (digits == 19 || v > (UINT64_MAX - 9) / 10)
            return 0; /* more than a sequence number can be */
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (digits == 0)
        return 0;
    *run = p;
    *run_len = r;
    *seq = v;
    return 1;
}

/* ---- the key map: chained hashing over entries kept in insertion order ---- */

typedef struct kentry {
    struct kentry *hnext;
    int32_t key_len; /* -1: the null key */
    char *key;
    /* the slot follows, aligned */
} kentry;

struct cli_kmap {
    size_t value_size, slot_off;
    kentry **buckets;
    size_t nbuckets;
    kentry **order;
    size_t count, cap;
};

cli_kmap *cli_kmap_new(size_t value_size) {
    cli_kmap *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->value_size = value_size;
    m->slot_off = (sizeof(kentry) + 15) & ~(size_t)15;
    return m;
}

void cli_kmap_free(cli_kmap *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        free(m->order[i]->key);
        free(m->order[i]);
    }
    free(m->order);
    free(m->buckets);
    free(m);
}

static uint64_t hash(const void *key, int32_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    const unsigned char *p = key;
    for (int32_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return len < 0 ? 0x9e3779b97f4a7c15ull : h;
}

static int rehash(cli_kmap *m) {
    size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
    kentry **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return -1;
    for (size_t i = 0; i < m->count; i++) {
        kentry *e = m->order[i];
        size_t j = hash(e->key, e->key_len) & (n - 1);
        e->hnext = nb[j];
        nb[j] = e;
    }
    free(m->buckets);
    m->buckets = nb;
    m->nbuckets = n;
    return 0;
}

void *cli_kmap_get(cli_kmap *m, const void *key, int32_t key_len) {
    if (key_len < 0)
        key_len = -1;
    if (m->nbuckets) {
        for (kentry *e = m->buckets[hash(key, key_len) & (m->nbuckets - 1)]; e; e = e->hnext)
            if (e->key_len == key_len &&
                (key_len <= 0 || memcmp(e->key, key, (size_t)key_len) == 0))
                return (char *)e + m->slot_off;
    }
    if (m->count == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        kentry **no = realloc(m->order, ncap * sizeof(*no));
        if (!no)
            return NULL;
        m->order = no;
        m->cap = ncap;
    }
    if ((m->count + 1) * 2 > m->nbuckets && rehash(m) != 0)
        return NULL;
    kentry *e = calloc(1, m->slot_off + m->value_size);
    char *k = key_len > 0 ? malloc((size_t)key_len) : NULL;
    if (!e || (key_len > 0 && !k)) {
        free(e);
        free(k);
        return NULL;
    }
    if (key_len > 0)
        memcpy(k, key, (size_t)key_len);
    e->key = k;
    e->key_len = key_len;
    size_t j = hash(key, key_len) & (m->nbuckets - 1);
    e->hnext = m->buckets[j];
    m->buckets[j] = e;
    m->order[m->count++] = e;
    return (char *)e + m->slot_off;
}

size_t cli_kmap_count(const cli_kmap *m) { return m->count; }

const char *cli_kmap_key(const cli_kmap *m, const void *slot, int32_t *key_len) {
    const kentry *e = (const void *)((const char *)slot - m->slot_off);
    *key_len = e->key_len;
    return e->key;
}

void *cli_kmap_at(const cli_kmap *m, size_t i, const char **key, int32_t *key_len) {
    kentry *e = m->order[i];
    *key = e->key;
    *key_len = e->key_len;
    return (char *)e + m->slot_off;
}

uint64_t cli_stamp_next(cli_kmap *seqs, const void *key, int32_t key_len) {
    uint64_t *next = cli_kmap_get(seqs, key, key_len);
    return next ? (*next)++ : UINT64_MAX;
}

/* ---- the stamper ---- */

int cli_stamper_init(cli_stamper *s, const char *cmd, const char *run) {
    memset(s, 0, sizeof(*s));
    if (run && *run) {
        if (!cli_stamp_run_ok(run)) {
            fprintf(stderr, "%s: --run: a run id is 1 to 64 of A-Z a-z 0-9 . _ -\n", cmd);
            return -1;
        }
        snprintf(s->run, sizeof(s->run), "%s", run);
    } else {
        cli_stamp_new_run(s->run, sizeof(s->run));
    }
    if (!(s->seqs = cli_kmap_new(sizeof(uint64_t)))) {
        fprintf(stderr, "%s: out of memory\n", cmd);
        return -1;
    }
    return 0;
}

int cli_stamper_apply(cli_stamper *s, kprod_record_t *rec) {
    size_t n = rec->header_count;
    if (n + 1 > s->cap) {
        size_t ncap = (n + 1) * 2;
        kprod_header_t *nh = realloc(s->headers, ncap * sizeof(*nh));
        if (!nh)
            return -1;
        s->headers = nh;
        s->cap = ncap;
    }
    uint64_t seq = cli_stamp_next(s->seqs, rec->key, rec->key ? (int32_t)rec->key_len : -1);
    if (seq == UINT64_MAX)
        return -1;
    if (n)
        memmove(s->headers, rec->headers, n * sizeof(*s->headers));
    s->headers[n].name = CLI_STAMP_HEADER;
    s->headers[n].value = s->value;
    s->headers[n].value_len = cli_stamp_format(s->value, sizeof(s->value), s->run, seq);
    rec->headers = s->headers;
    rec->header_count = n + 1;
    return 0;
}

void cli_stamper_free(cli_stamper *s) {
    cli_kmap_free(s->seqs);
    free(s->headers);
    memset(s, 0, sizeof(*s));
}
