/* The public statistics calls: kprod_stats_get and the accessors of its
 * snapshot (the JSON document, Prometheus' text, the metric list), all
 * made once when the snapshot is taken so that every accessor only reads. */
#include <stdlib.h>

#include "clock.h"
#include "producer.h"
#include "stats_render.h"

struct kprod_stats_s {
    kp_stats_snap snap;
    char *json;
    char *prometheus;
    kprod_metric_t *metrics;
    size_t nmetrics;
};

KPROD_API void kprod_stats_destroy(kprod_stats_t *s) {
    if (!s)
        return;
    free(s->json);
    free(s->prometheus);
    free(s->metrics);
    kp_stats_snap_clear(&s->snap);
    free(s);
}

KPROD_API kprod_err_t kprod_stats_get(kprod_t *p, int timeout_ms, kprod_stats_t **out) {
    if (!p || !out)
        return KPROD_ERR__INVALID_ARG;
    *out = NULL;
    kp_stats_snap *snap = NULL;
    kprod_err_t err = kp_sender_stats(p->sender, kp_deadline(timeout_ms), &snap);
    if (err)
        return err;
    kprod_stats_t *s = calloc(1, sizeof(*s));
    if (s) {
        s->snap = *snap; /* the strings move with it */
        s->json = kp_stats_json(&s->snap);
        s->metrics = kp_stats_metrics(&s->snap, &s->nmetrics);
        s->prometheus =
            s->metrics ? kp_stats_prometheus(s->metrics, s->nmetrics, s->snap.client_id) : NULL;
    } else {
        kp_stats_snap_clear(snap);
    }
    free(snap);
    if (!s || !s->json || !s->metrics || !s->prometheus) {
        kprod_stats_destroy(s);
        return KPROD_ERR__NO_MEMORY;
    }
    *out = s;
    return KPROD_ERR_NO_ERROR;
}

KPROD_API const char *kprod_stats_json(const kprod_stats_t *s) { return s ? s->json : NULL; }

KPROD_API const char *kprod_stats_prometheus(const kprod_stats_t *s) {
    return s ? s->prometheus : NULL;
}

KPROD_API size_t kprod_stats_metric_count(const kprod_stats_t *s) { return s ? s->nmetrics : 0; }

KPROD_API const kprod_metric_t *kprod_stats_metric(const kprod_stats_t *s, size_t i) {
    return s && i < s->nmetrics ? &s->metrics[i] : NULL;
}
