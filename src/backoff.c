/* Exponential backoff with jitter (see backoff.h). Both settings may be as
 * large as INT64_MAX, so no step may overflow. */
#include "backoff.h"

int64_t kp_backoff_ms(int64_t base_ms, int64_t max_ms, int attempts, long rnd) {
    if (base_ms < 0)
        base_ms = 0;
    int64_t b = base_ms < max_ms ? base_ms : max_ms;
    for (int i = 1; i < attempts && b < max_ms; i++)
        b = b > max_ms / 2 ? max_ms : b * 2;
    int64_t spread = b / 5;
    if (spread > 0) {
        int64_t j = (int64_t)(rnd % (2 * spread + 1)) - spread;
        b = j > 0 && b > INT64_MAX - j ? INT64_MAX : b + j;
    }
    return b < 0 ? 0 : b;
}
