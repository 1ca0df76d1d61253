/* How kprod produce reports what became of a record, on the standard
 * streams: the error line (standard error) and the --print-offsets line
 * (standard output). Shared by produce.c and produce_txn.c. */
#ifndef KPROD_CLI_PRODUCE_REPORT_H
#define KPROD_CLI_PRODUCE_REPORT_H

#include "kprod.h"

/* FILE:LINE: error NAME: TEXT[MORE] on standard error, FILE, NAME and TEXT
 * escaped (escape.h): a file name or an error text cannot end the line
 * early or reach the terminal as a control sequence. TEXT is what the
 * library said of this failure (a report's errstr, kprod_last_errstr), or
 * the code's own text when text is NULL or empty; MORE (may be NULL) is
 * the caller's, escaped already. The stream is locked for the whole line,
 * so lines printed at once by the sending thread and by kprod's report
 * thread never mix. */
void produce_error_line(const char *file, long line, kprod_err_t err, const char *text,
                        const char *more);

/* --print-offsets: FILE:LINE<TAB>PARTITION<TAB>OFFSET on standard output,
 * the stream locked for the whole line (reports may come on kprod's
 * thread). */
void produce_offset_line(const char *file, long line, int32_t partition, int64_t offset);

#endif
