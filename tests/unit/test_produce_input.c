/* kprod produce's input (tools/kprod/produce_input.c) without a broker:
 * how a record is taken apart (-T timestamp, Kafka's console producer's
 * headers and key, -K, -k, null markers, ignore.error, separators of
 * several bytes, the fixed -H headers first) and how a stream is cut into
 * records (a delimiter of several bytes also where a read ends inside it,
 * the last record without a delimiter, a whole input as one record). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "produce_input.h"

static char *dup_s(const char *s) {
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* The console producer's defaults: headers "a:1,b:2<TAB>", key "<TAB>". */
static rec_format console_format(void) {
    rec_format f;
    memset(&f, 0, sizeof(f));
    f.parse_headers = 1;
    f.hdr_delim = dup_s("\t"), f.hdr_delim_len = 1;
    f.hdr_sep = dup_s(","), f.hdr_sep_len = 1;
    f.hdr_kv_sep = dup_s(":"), f.hdr_kv_sep_len = 1;
    f.key_delim = dup_s("\t"), f.key_delim_len = 1;
    f.key_required = 1;
    return f;
}

static int parse(const rec_format *f, const char *in, parsed_rec *out, char *why) {
    return rec_parse(f, NULL, 0, in, strlen(in), out, why, 200);
}

static void expect_bytes(const void *p, size_t n, const char *want) {
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_plain_value(void **state) {
    (void)state;
    rec_format f;
    memset(&f, 0, sizeof(f));
    parsed_rec r = {0};
    char why[200];
    assert_int_equal(parse(&f, "hello:world", &r, why), 0);
    assert_null(r.key);
    expect_bytes(r.value, r.value_len, "hello:world");
    assert_int_equal(r.n_headers, 0);
    assert_int_equal(r.timestamp_ms, 0);
    parsed_rec_free(&r);
}

static void test_key_delimiter_and_fixed_key(void **state) {
    (void)state;
    rec_format f;
    memset(&f, 0, sizeof(f));
    f.key_delim = dup_s("::"), f.key_delim_len = 2;
    parsed_rec r = {0};
    char why[200];
    assert_int_equal(parse(&f, "k:1::v::2", &r, why), 0);
    expect_bytes(r.key, r.key_len, "k:1");
    expect_bytes(r.value, r.value_len, "v::2");
    /* Without the delimiter (-K, not parse.key): a null key, all value. */
    assert_int_equal(parse(&f, "no key", &r, why), 0);
    assert_null(r.key);
    expect_bytes(r.value, r.value_len, "no key");
    rec_format_free(&f);

    f.fixed_key = dup_s("fixed"), f.fixed_key_len = 5;
    assert_int_equal(parse(&f, "a::b", &r, why), 0);
    expect_bytes(r.key, r.key_len, "fixed");
    expect_bytes(r.value, r.value_len, "a::b");
    rec_format_free(&f);
    parsed_rec_free(&r);
}

static void test_timestamp(void **state) {
    (void)state;
    rec_format f;
    memset(&f, 0, sizeof(f));
    f.ts_delim = dup_s("|"), f.ts_delim_len = 1;
    parsed_rec r = {0};
    char why[200];
    assert_int_equal(parse(&f, "1700000000123|v", &r, why), 0);
    assert_int_equal(r.timestamp_ms, 1700000000123LL);
    expect_bytes(r.value, r.value_len, "v");
    assert_int_equal(parse(&f, "9223372036854775807|v", &r, why), 0);
    assert_int_equal(r.timestamp_ms, INT64_MAX);
    static const char *const bad[] = {"9223372036854775808|v", "-1|v", "12a|v", "|v", "1 |v"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(&f, bad[i], &r, why) == 0)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(why, "timestamp"));
    }
    assert_int_equal(parse(&f, "no delimiter", &r, why), -1);
    assert_non_null(strstr(why, "no timestamp delimiter"));
    f.ignore_error = 1; /* then the record is stamped when sent */
    assert_int_equal(parse(&f, "no delimiter", &r, why), 0);
    assert_int_equal(r.timestamp_ms, 0);
    expect_bytes(r.value, r.value_len, "no delimiter");
    rec_format_free(&f);
    parsed_rec_free(&r);
}

static void test_console_headers_and_key(void **state) {
    (void)state;
    rec_format f = console_format();
    f.null_marker = dup_s("NULL"), f.null_marker_len = 4;
    kprod_header_t fixed[] = {{"src", "cli", 3}};
    parsed_rec r = {0};
    char why[200];
    const char *in = "h1:v1,h2:,h3:NULL\tkey\tvalue";
    assert_int_equal(rec_parse(&f, fixed, 1, in, strlen(in), &r, why, sizeof(why)), 0);
    assert_int_equal(r.n_headers, 4);
    assert_string_equal(r.headers[0].name, "src");
    assert_string_equal(r.headers[1].name, "h1");
    expect_bytes(r.headers[1].value, r.headers[1].value_len, "v1");
    assert_string_equal(r.headers[2].name, "h2");
    assert_non_null(r.headers[2].value); /* empty, not null */
    assert_int_equal(r.headers[2].value_len, 0);
    assert_string_equal(r.headers[3].name, "h3");
    assert_null(r.headers[3].value);
    expect_bytes(r.key, r.key_len, "key");
    expect_bytes(r.value, r.value_len, "value");

    /* Null markers for the whole headers part, the key, the value. */
    assert_int_equal(parse(&f, "NULL\tNULL\tNULL", &r, why), 0);
    assert_int_equal(r.n_headers, 0);
    assert_null(r.key);
    assert_null(r.value);

    /* Errors, and ignore.error. */
    assert_int_equal(parse(&f, "no delimiters", &r, why), -1);
    assert_non_null(strstr(why, "no headers delimiter"));
    assert_int_equal(parse(&f, "h:1\tno key separator", &r, why), -1);
    assert_non_null(strstr(why, "no key separator"));
    assert_int_equal(parse(&f, "broken\tk\tv", &r, why), -1);
    assert_non_null(strstr(why, "'broken'"));
    assert_int_equal(parse(&f, "NULL:x\tk\tv", &r, why), -1); /* a null header name */
    f.ignore_error = 1;
    assert_int_equal(parse(&f, "broken,h:1\tk\tv", &r, why), 0);
    assert_int_equal(r.n_headers, 2);
    assert_string_equal(r.headers[0].name, "broken");
    assert_null(r.headers[0].value);
    assert_string_equal(r.headers[1].name, "h");
    assert_int_equal(parse(&f, "just a value", &r, why), 0);
    assert_int_equal(r.n_headers, 0);
    assert_null(r.key);
    expect_bytes(r.value, r.value_len, "just a value");
    rec_format_free(&f);
    parsed_rec_free(&r);
}

static void test_many_headers_grow(void **state) {
    (void)state;
    rec_format f = console_format();
    char in[8192];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%sname%d:value%d", i ? "," : "", i, i);
    snprintf(in + n, sizeof(in) - n, "\tk\tv");
    parsed_rec r = {0};
    char why[200];
    assert_int_equal(parse(&f, in, &r, why), 0);
    assert_int_equal(r.n_headers, 300);
    assert_string_equal(r.headers[299].name, "name299");
    expect_bytes(r.headers[299].value, r.headers[299].value_len, "value299");
    assert_string_equal(r.headers[0].name, "name0"); /* names survive the growth */
    rec_format_free(&f);
    parsed_rec_free(&r);
}

/* A file holding `len` bytes of `data`, open for reading. */
static int temp_input(const char *data, size_t len) {
    char path[] = "/tmp/kprod_input_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* The records of data cut at delim (NULL: whole), joined by '\n'. */
static char *read_all(const char *data, size_t len, const char *delim, int *count) {
    int fd = temp_input(data, len);
    reader r = {.fd = fd, .delim = delim, .delim_len = delim ? strlen(delim) : 0};
    char *out = calloc(1, len + 1 + 200000);
    size_t o = 0;
    const char *rec;
    size_t n;
    int got;
    *count = 0;
    while ((got = reader_next(&r, &rec, &n)) == READ_RECORD) {
        if (*count)
            out[o++] = '\n';
        memcpy(out + o, rec, n);
        o += n;
        (*count)++;
    }
    assert_int_equal(got, READ_EOF);
    reader_free(&r);
    close(fd);
    return out;
}

static void test_reader_multibyte_delimiter(void **state) {
    (void)state;
    int count;
    char *s = read_all("a<|>b<|><|>c<|", 14, "<|>", &count);
    assert_int_equal(count, 4); /* "a", "b", "", "c<|" */
    assert_string_equal(s, "a\nb\n\nc<|");
    free(s);
    s = read_all("x<|>", 4, "<|>", &count); /* a trailing delimiter adds no record */
    assert_int_equal(count, 1);
    free(s);
    s = read_all("", 0, "\n", &count);
    assert_int_equal(count, 0);
    free(s);

    /* The delimiter across the first read's end (65,536 bytes). */
    size_t len = 65535 + 3 + 1;
    char *big = malloc(len);
    memset(big, 'a', 65535);
    memcpy(big + 65535, "<|>b", 4);
    s = read_all(big, len, "<|>", &count);
    assert_int_equal(count, 2);
    assert_int_equal(strlen(s), 65535 + 2);
    assert_string_equal(s + 65535, "\nb");
    free(s);
    free(big);
}

static void test_reader_whole(void **state) {
    (void)state;
    int count;
    const char data[] = "line\n\0binary\n";
    char *s = read_all(data, sizeof(data) - 1, NULL, &count);
    assert_int_equal(count, 1);
    assert_memory_equal(s, data, sizeof(data) - 1);
    free(s);
    s = read_all("", 0, NULL, &count); /* an empty file is one empty record */
    assert_int_equal(count, 1);
    assert_string_equal(s, "");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_value),
        cmocka_unit_test(test_key_delimiter_and_fixed_key),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_console_headers_and_key),
        cmocka_unit_test(test_many_headers_grow),
        cmocka_unit_test(test_reader_multibyte_delimiter),
        cmocka_unit_test(test_reader_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
