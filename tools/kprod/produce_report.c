/* kprod produce's report lines (see produce_report.h). */
#include "produce_report.h"

#include <stdio.h>

#include "escape.h"

void produce_error_line(const char *file, long line, kprod_err_t err, const char *text,
                        const char *more) {
    flockfile(stderr);
    cli_put_escaped(stderr, file);
    fprintf(stderr, ":%ld: error ", line);
    cli_put_escaped(stderr, kprod_err_name(err));
    fputs(": ", stderr);
    cli_put_escaped(stderr, text && *text ? text : kprod_err_str(err));
    if (more)
        fputs(more, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
}

void produce_offset_line(const char *file, long line, int32_t partition, int64_t offset) {
    flockfile(stdout);
    cli_put_escaped(stdout, file);
    printf(":%ld\t%d\t%lld\n", line, (int)partition, (long long)offset);
    funlockfile(stdout);
}
