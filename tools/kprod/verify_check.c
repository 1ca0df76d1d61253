/* kprod verify's bookkeeping (see verify_check.h). */
#include "verify_check.h"

#include <stdlib.h>
#include <string.h>

#include "stamp.h"

/* The highest sequence number of one key seen in one partition. */
typedef struct last_in {
    int32_t partition;
    uint64_t seq;
    int64_t offset;
} last_in;

/* One key's records: where each sequence number was first found. */
typedef struct stream {
    int64_t *offset;           /* by sequence number; -1 never seen */
    int32_t *partition;        /* of that first copy */
    uint64_t cap;              /* entries of both */
    uint64_t min_seq, max_seq; /* lowest and highest seen (valid when distinct > 0) */
    uint64_t distinct;
    int32_t home; /* the partition of its first record, where its missing ones are counted */
    last_in *last;
    int nlast;
} stream;

struct vc {
    int show;
    int from_first;
    cli_kmap *streams;
    vc_part *parts;
    size_t nparts, cap;
};

vc *vc_new(int show, int from_first) {
    vc *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->from_first = from_first;
    c->show = show < 0 ? 0 : show > VC_SHOW_MAX ? VC_SHOW_MAX : show;
    c->streams = cli_kmap_new(sizeof(stream));
    if (!c->streams) {
        free(c);
        return NULL;
    }
    return c;
}

void vc_free(vc *c) {
    if (!c)
        return;
    for (size_t i = 0; i < cli_kmap_count(c->streams); i++) {
        const char *k;
        int32_t kl;
        stream *s = cli_kmap_at(c->streams, i, &k, &kl);
        free(s->offset);
        free(s->partition);
        free(s->last);
    }
    cli_kmap_free(c->streams);
    free(c->parts);
    free(c);
}

/* The partition's counts, kept sorted by partition. */
static vc_part *part(vc *c, int32_t partition) {
    size_t lo = 0, hi = c->nparts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->parts[mid].partition < partition)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->nparts && c->parts[lo].partition == partition)
        return &c->parts[lo];
    if (c->nparts == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        vc_part *np = realloc(c->parts, ncap * sizeof(*np));
        if (!np)
            return NULL;
        c->parts = np;
        c->cap = ncap;
    }
    memmove(&c->parts[lo + 1], &c->parts[lo], (c->nparts - lo) * sizeof(*c->parts));
    c->nparts++;
    vc_part *p = &c->parts[lo];
    memset(p, 0, sizeof(*p));
    p->partition = partition;
    p->first_offset = p->last_offset = -1;
    return p;
}

static int grow(stream *s, uint64_t seq) {
    if (seq < s->cap)
        return 0;
    if (seq >= ((uint64_t)1 << 40))
        return -1; /* not a sequence a run of records reaches */
    uint64_t ncap = s->cap ? s->cap : 64;
    while (ncap <= seq)
        ncap *= 2;
    int64_t *no = realloc(s->offset, ncap * sizeof(*no));
    if (!no)
        return -1;
    s->offset = no;
    int32_t *np = realloc(s->partition, ncap * sizeof(*np));
    if (!np)
        return -1;
    s->partition = np;
    for (uint64_t i = s->cap; i < ncap; i++)
        s->offset[i] = -1;
    s->cap = ncap;
    return 0;
}

static last_in *last_of(stream *s, int32_t partition) {
    for (int i = 0; i < s->nlast; i++)
        if (s->last[i].partition == partition)
            return &s->last[i];
    last_in *nl = realloc(s->last, (size_t)(s->nlast + 1) * sizeof(*nl));
    if (!nl)
        return NULL;
    s->last = nl;
    last_in *l = &s->last[s->nlast++];
    l->partition = partition;
    l->seq = 0;
    l->offset = -1;
    return l;
}

static void note(vc_note *arr, int *n, int show, vc_note v) {
    if (*n < show)
        arr[(*n)++] = v;
}

int vc_record(vc *c, int32_t partition, int64_t offset, const void *key, int32_t key_len,
              uint64_t seq) {
    stream *s = cli_kmap_get(c->streams, key, key_len);
    vc_part *p = part(c, partition);
    if (!s || !p || grow(s, seq) != 0)
        return -1;
    last_in *l = last_of(s, partition);
    if (!l)
        return -1;
    int32_t mkl;
    const char *mk = cli_kmap_key(c->streams, s, &mkl); /* lives as long as the map */
    vc_note v = {partition, offset, mk, mkl, seq, -1, -1, 0};
    if (s->offset[seq] >= 0) {
        p->duplicated++;
        v.first_partition = s->partition[seq];
        v.first_offset = s->offset[seq];
        note(p->dup, &p->ndup, c->show, v);
        return 0;
    }
    if (s->distinct == 0)
        s->home = partition;
    s->offset[seq] = offset;
    s->partition[seq] = partition;
    if (s->distinct == 0 || seq > s->max_seq)
        s->max_seq = seq;
    if (s->distinct == 0 || seq < s->min_seq)
        s->min_seq = seq;
    s->distinct++;
    p->found++;
    if (p->first_offset < 0)
        p->first_offset = offset;
    p->last_offset = offset;
    if (l->offset >= 0 && seq < l->seq) {
        p->out_of_order++;
        v.first_partition = partition;
        v.first_offset = l->offset;
        v.first_seq = l->seq;
        note(p->ooo, &p->nooo, c->show, v);
    } else {
        l->seq = seq;
        l->offset = offset;
    }
    return 0;
}

int vc_finish(vc *c, uint64_t expected, uint64_t *unplaced) {
    uint64_t placed = 0; /* found or missing below a key's highest */
    for (size_t i = 0; i < cli_kmap_count(c->streams); i++) {
        const char *k;
        int32_t kl;
        stream *s = cli_kmap_at(c->streams, i, &k, &kl);
        if (s->distinct == 0)
            continue;
        uint64_t lo = c->from_first ? s->min_seq : 0;
        placed += s->max_seq + 1 - lo;
        if (s->max_seq + 1 - lo == s->distinct)
            continue;
        vc_part *p = part(c, s->home);
        if (!p)
            return -1;
        for (uint64_t q = lo; q <= s->max_seq; q++) {
            if (s->offset[q] >= 0)
                continue;
            p->missing++;
            vc_note v = {s->home, -1, k, kl, q, -1, -1, 0};
            note(p->miss, &p->nmiss, c->show, v);
        }
    }
    *unplaced = expected > placed ? expected - placed : 0;
    return 0;
}

size_t vc_partition_count(const vc *c) { return c->nparts; }
const vc_part *vc_partition(const vc *c, size_t i) { return &c->parts[i]; }

vc_part vc_total(const vc *c) {
    vc_part t;
    memset(&t, 0, sizeof(t));
    t.partition = -1;
    t.first_offset = t.last_offset = -1;
    for (size_t i = 0; i < c->nparts; i++) {
        t.found += c->parts[i].found;
        t.duplicated += c->parts[i].duplicated;
        t.out_of_order += c->parts[i].out_of_order;
        t.missing += c->parts[i].missing;
    }
    return t;
}
