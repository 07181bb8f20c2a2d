// SPDX-License-Identifier: GPL-3.0-or-later
/* Every trace reader against bad input written into a temp folder: wrong
 * column counts, non-numeric fields, negative durations, times going
 * backwards, huge values, truncated and empty files. Each problem must be
 * reported as "file:line: field: what", then skipped and counted, or be
 * fatal when the option says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wl_test.h"

/* A small good file of each format; cases replace one of its lines. */
struct fmt {
    enum wl_format f;
    const char *file;
    const char *head; /* lines before the data (header), or "" */
    const char *lines[3];
    unsigned vms; /* VMs of the good file */
};

static const struct fmt swf = {
    WL_FMT_SWF,
    "t.swf",
    "; Version: 2.2\n; Computer: test\n",
    {"1 0 5 100 4 50 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1",
     "2 10 5 100 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1 -1",
     "3 20 5 100 1 -1 -1 1 200 -1 1 1 1 -1 -1 -1 -1 -1"},
    3};

static const struct fmt vmtable = {
    WL_FMT_AZURE_VMTABLE,
    "vmtable.csv",
    "",
    {"vm1,s1,d1,300,900,90,20.5,80,Interactive,2,4",
     "vm2,s1,d1,0,600,90,20.5,80,Delay-insensitive,>24,>64",
     "vm3,s2,d2,600,1200,90,20.5,80,Unkown,1,0.75"},
    3};

static const struct fmt azcpu = {
    WL_FMT_AZURE_CPU,
    "vm_cpu_readings.csv",
    "",
    {"0,vmA,1,9,5", "300,vmA,2,8,4", "300,vmB,1,2,1"},
    2};

static const struct fmt gtask = {WL_FMT_GOOGLE_TASK,
                                 "task_events.csv",
                                 "",
                                 {"0,,1,0,5,0,u,3,9,0.125,0.07,0.0004,0",
                                  "1000000,,1,0,5,1,u,3,9,0.125,0.07,0.0004,0",
                                  "2000000,,1,0,5,4,u,3,9,,,,"},
                                 1};

static const struct fmt gjob = {
    WL_FMT_GOOGLE_JOB,
    "job_events.csv",
    "",
    {"0,,1,0,u,3,n,l", "1000000,,1,1,u,3,n,l", "2000000,,1,4,u,3,n,l"},
    1};

static const struct fmt gmachine = {
    WL_FMT_GOOGLE_MACHINE,
    "machine_events.csv",
    "#Time stamp,Machine ID,Event type,Platform "
    "ID,CPU,memory\n",
    {"0,10,0,p,0.5,0.25", "10,20,0,p,0.5,0.25", "20,10,1,p,0.5,0.25"},
    0};

#define USAGE_TAIL                                                             \
    ",0.1,0.2,0.08,0.001,0.002,0.07,0.002,0.0001,0.03,0.0004,2.4,0.007,0,1,0"
static const struct fmt gusage = {WL_FMT_GOOGLE_USAGE,
                                  "task_usage.csv",
                                  "",
                                  {"0,1000000,1,0,5" USAGE_TAIL,
                                   "0,2000000,1,1,5" USAGE_TAIL,
                                   "1000000,3000000,2,0," USAGE_TAIL},
                                  0};

static const struct fmt ameta = {WL_FMT_ALIBABA_META,
                                 "machine_meta.csv",
                                 "",
                                 {"m_1,50,219,17,96,100,USING",
                                  "m_1,100,219,17,96,100,USING",
                                  "m_2,0,5,3,96,100,IMPORT_INSTALLING"},
                                 0};

static const struct fmt ausage = {WL_FMT_ALIBABA_USAGE,
                                  "machine_usage.csv",
                                  "",
                                  {"m_1,100,41,92,,,43.04,33.08,5",
                                   "m_1,110,42,92,,,43.04,33.08,5",
                                   "m_1,120,43,92,,,43.05,33.08,-1"},
                                  1};

#define BB_HEAD                                                                \
    "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU "       \
    "usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned "               \
    "[KB];\tMemory usage [KB];\tDisk read throughput [KB/s];\tDisk write "     \
    "throughput [KB/s];\tNetwork received throughput [KB/s];\tNetwork "        \
    "transmitted throughput [KB/s]\n"
static const struct fmt bitbrains = {
    WL_FMT_BITBRAINS,
    "bb.csv",
    BB_HEAD,
    {"1372629804;\t2;\t5851.9989;\t87.7799835;\t1.5;\t8218624.0;\t1034592.8;"
     "\t160.86;\t21.73;\t0.26;\t1.46",
     "1372630104;\t2;\t5851.9989;\t29.25;\t0.5;\t8218624.0;\t458575.46;\t0.0;"
     "\t2.33;\t0.2;\t1.0",
     "1372630404;\t2;\t5851.9989;\t29.25;\t0.5;\t8218624.0;\t458575.46;\t0.0;"
     "\t2.33;\t0.2;\t1.0"},
    1};

static const struct fmt vtrace = {
    WL_FMT_VTRACE,
    "trace.csv",
    "time_ns,event,pcpu,vcpu,vm,arg\n",
    {"0,WAKE,-1,0,0,0", "10,RUN,0,0,0,1000", "20,STOP,0,0,0,2"},
    1};

/* One bad line: @line of the data (0-based) replaced by @text. */
struct bad {
    const struct fmt *fmt;
    unsigned line;
    const char *text;
    const char *field, *what;
};

static const struct bad bads[] = {
    /* wrong column counts */
    {&swf, 1, "2 10 5 100 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1", "columns",
     "17, expected 18"},
    {&swf, 1, "2 10 5 100 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1 -1 7", "columns",
     "more than 18"},
    {&vmtable, 1, "vm2,s1,d1,0,600,90,20.5,80,Interactive,2", "columns",
     "10, expected 11"},
    {&azcpu, 1, "300,vmA,2,8", "columns", "4, expected 5"},
    {&gtask, 1, "1000000,,1,0,5,1,u,3,9,0.125,0.07,0.0004", "columns",
     "12, expected 13"},
    {&gjob, 1, "1000000,,1,1,u,3,n", "columns", "7, expected 8"},
    {&gmachine, 1, "10,20,0,p,0.5", "columns", "5, expected 6"},
    {&gusage, 1, "0,2000000,1,1,5,0.1", "columns", "6, expected 20"},
    {&ameta, 1, "m_1,100,219,17,96,100", "columns", "6, expected 7"},
    {&ausage, 1, "m_1,110,42,92,,,43.04,33.08", "columns", "8, expected 9"},
    {&bitbrains, 1, "1372630104;\t2;\t5851.9989", "columns", "3, expected 11"},
    {&vtrace, 1, "10,RUN,0,0,0", "columns", "5, expected 6"},
    /* non-numeric fields */
    {&swf, 1, "2 10 5 abc 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1 -1", "run time",
     "'abc' is not a number"},
    {&vmtable, 1, "vm2,s1,d1,0,600,90,x20,80,Interactive,2,4", "avgcpu",
     "'x20' is not a number"},
    {&azcpu, 1, "300,vmA,2,8,4.x", "avgcpu", "'4.x' is not a number"},
    {&gtask, 1, "1000000,,1,0,5,one,u,3,9,0.125,0.07,0.0004,0", "event type",
     "'one' is not a number"},
    {&gjob, 1, "1000000,,j1,1,u,3,n,l", "job ID", "'j1' is not a number"},
    {&gmachine, 1, "10,20,0,p,half,0.25", "CPU capacity", "not a number"},
    {&gusage, 1,
     "0,2000000,1,1,5,0.1,0.2,0.08,nan,0.002,0.07,0.002,0.0001,0.03,0.0004,"
     "2.4,0.007,0,1,0",
     "usage", "'nan' is not a number"},
    {&ameta, 1, "m_1,100,219,17,many,100,USING", "cpu_num", "not a number"},
    {&ausage, 1, "m_1,110,4 2,92,,,43.04,33.08,5", "cpu_util_percent",
     "not a number"},
    {&bitbrains, 1,
     "1372630104;\t2;\t5851.9989;\t29.25;\t0.5e;\t8218624.0;\t458575.46;\t0."
     "0;\t2.33;\t0.2;\t1.0",
     "CPU usage [%]", "not a number"},
    {&vtrace, 1, "10,RUN,x,0,0,1000", "pcpu", "'x' is not a number"},
    {&vtrace, 1, "10,JUMP,0,0,0,1000", "event", "unknown event 'JUMP'"},
    /* negative durations and times */
    {&swf, 1, "2 10 5 -5 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1 -1", "run time",
     "negative"},
    {&vmtable, 1, "vm2,s1,d1,600,300,90,20.5,80,Interactive,2,4", "vmdeleted",
     "negative lifetime"},
    {&azcpu, 1, "-300,vmA,2,8,4", "timestamp", "negative"},
    {&gtask, 1, "-1,,1,0,5,1,u,3,9,0.125,0.07,0.0004,0", "timestamp",
     "negative"},
    {&gjob, 1, "-1000000,,1,1,u,3,n,l", "timestamp", "negative"},
    {&gmachine, 1, "-10,20,0,p,0.5,0.25", "timestamp", "negative"},
    {&gusage, 1, "3000000,2000000,1,1,5" USAGE_TAIL, "end time",
     "negative duration"},
    {&ameta, 1, "m_1,-100,219,17,96,100,USING", "time_stamp", "negative"},
    {&ausage, 1, "m_1,-110,42,92,,,43.04,33.08,5", "time_stamp", "negative"},
    {&bitbrains, 1,
     "-1372630104;\t2;\t5851.9989;\t29.25;\t0.5;\t8218624.0;\t458575.46;\t0."
     "0;\t2.33;\t0.2;\t1.0",
     "Timestamp", "negative"},
    {&vtrace, 1, "-10,RUN,0,0,0,1000", "time_ns", "negative"},
    /* times going backwards (the vmtable is unsorted by nature, see below;
     * task_usage records are not ordered) */
    {&swf, 2, "3 5 5 100 1 -1 -1 1 200 -1 1 1 1 -1 -1 -1 -1 -1", "submit time",
     "goes back in time"},
    {&azcpu, 2, "0,vmB,1,2,1", "timestamp", "goes back in time"},
    {&gtask, 2, "500000,,1,0,5,4,u,3,9,,,,", "timestamp", "goes back in time"},
    {&gjob, 2, "500000,,1,4,u,3,n,l", "timestamp", "goes back in time"},
    {&gmachine, 2, "5,10,1,p,0.5,0.25", "timestamp", "goes back in time"},
    {&ameta, 1, "m_1,10,219,17,96,100,USING", "time_stamp",
     "goes back in time"},
    {&ausage, 2, "m_1,105,43,92,,,43.05,33.08,5", "time_stamp",
     "goes back in time"},
    {&bitbrains, 2,
     "1372620000;\t2;\t5851.9989;\t29.25;\t0.5;\t8218624.0;\t458575.46;\t0.0;"
     "\t2.33;\t0.2;\t1.0",
     "Timestamp", "goes back in time"},
    {&vtrace, 2, "5,STOP,0,0,0,2", "time_ns", "goes back in time"},
    /* huge values */
    {&swf, 1, "2 1e30 5 100 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1 -1",
     "submit time", "out of range"},
    {&swf, 1, "2 10 5 100 1e400 -1 -1 2 200 -1 1 1 1 -1 -1 -1 -1 -1",
     "allocated processors", "out of range"},
    {&vmtable, 1, "vm2,s1,d1,0,99999999999999999999,90,20,80,Interactive,2,4",
     "vmdeleted", "out of range"},
    {&vmtable, 1, "vm2,s1,d1,0,600,190,20,80,Interactive,2,4", "maxcpu",
     "more than 100"},
    {&azcpu, 1, "1e20,vmA,2,8,4", "timestamp", "out of range"},
    {&gtask, 1, "1e19,,1,0,5,1,u,3,9,0.125,0.07,0.0004,0", "timestamp",
     "out of range"},
    {&gtask, 1, "1000000,,1,0,5,9,u,3,9,0.125,0.07,0.0004,0", "event type",
     "out of range"},
    {&gjob, 1, "1000000,,1e300,1,u,3,n,l", "job ID", "out of range"},
    {&gmachine, 1, "10,20,7,p,0.5,0.25", "event type", "out of range"},
    {&gusage, 1, "0,1e300,1,1,5" USAGE_TAIL, "end time", "out of range"},
    {&ameta, 1, "m_1,100,219,17,1e9,100,USING", "cpu_num", "out of range"},
    {&ausage, 1, "m_1,110,420,92,,,43.04,33.08,5", "cpu_util_percent",
     "more than 100"},
    {&bitbrains, 1,
     "1e300;\t2;\t5851.9989;\t29.25;\t0.5;\t8218624.0;\t458575.46;\t0.0;\t2."
     "33;\t0.2;\t1.0",
     "Timestamp", "out of range"},
    {&vtrace, 1, "99999999999999999999,RUN,0,0,0,1000", "time_ns",
     "out of range"},
};

/* The good file of @f with line @i replaced by @text (NULL: none); the
 * data-line number of line @i is returned in *@lineno. */
static const char *write_fmt(const struct fmt *f, int i, const char *text,
                             unsigned *lineno)
{
    static char buf[8192];
    unsigned head = 0;
    for (const char *p = f->head; *p; p++)
        head += *p == '\n';
    snprintf(buf, sizeof buf, "%s", f->head);
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s\n",
                 k == i && text ? text : f->lines[k]);
    }
    if (lineno)
        *lineno = head + (unsigned)i + 1;
    return put(f->file, buf);
}

static void expect_problem(const struct drained *d, const char *path,
                           unsigned line, const char *field, const char *what)
{
    char prefix[600];
    if (line)
        snprintf(prefix, sizeof prefix, "%s:%u: %s: ", path, line, field);
    else
        snprintf(prefix, sizeof prefix, "%s: %s: ", path, field);
    if (!d->nprob)
        fail_msg("no problem reported, want '%s%s'", prefix, what);
    if (strncmp(d->prob[0], prefix, strlen(prefix)))
        fail_msg("got '%s', want prefix '%s'", d->prob[0], prefix);
    if (what && !strstr(d->prob[0], what))
        fail_msg("got '%s', want it to contain '%s'", d->prob[0], what);
}

static void test_wl_readers_good_files(void **state)
{
    (void)state;
    const struct fmt *all[] = {&swf,    &vmtable,   &azcpu,  &gtask,
                               &gjob,   &gmachine,  &gusage, &ameta,
                               &ausage, &bitbrains, &vtrace};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *path = write_fmt(all[i], -1, NULL, NULL);
        struct drained d;
        drain(path, NULL, &d);
        if (d.open_rc || d.nprob)
            fail_msg("%s: %s", all[i]->file, d.open_rc ? d.err : d.prob[0]);
        assert_int_equal(d.st.errors, 0);
        assert_int_equal(d.rc, 0);
        assert_int_equal(d.vms, all[i]->vms);
        assert_int_equal(d.st.records, 3);
        struct wl_opts o = {.abi = WL_ABI};
        wl_source_t *s;
        char err[256];
        assert_int_equal(wl_open(path, &o, &s, err, sizeof err), 0);
        assert_int_equal(wl_source_format(s), all[i]->f);
        wl_close(s);
    }
}

/* Each bad line: reported at its line, skipped and counted (the other
 * records still read), or fatal. */
static void test_wl_readers_bad_lines(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        const struct bad *b = &bads[i];
        unsigned line;
        const char *path = write_fmt(b->fmt, (int)b->line, b->text, &line);
        struct wl_opts o = {.abi = WL_ABI, .format = b->fmt->f};
        struct drained d;
        drain(path, &o, &d);
        print_message("case %u (%s): %s\n", i, b->fmt->file,
                      d.nprob ? d.prob[0] : "(none)");
        assert_int_equal(d.open_rc, 0);
        expect_problem(&d, path, line, b->field, b->what);
        assert_int_equal(d.st.errors, 1);
        assert_int_equal(d.rc, 0);
        assert_int_equal(d.st.records, 2);
        o.fatal = true;
        drain(path, &o, &d);
        assert_int_equal(d.rc, -1);
        expect_problem(&d, path, line, b->field, b->what);
        assert_string_equal(d.err, d.prob[0]);
    }
}

/* A last line cut short (no newline) is a wrong column count there. */
static void test_wl_readers_truncated(void **state)
{
    (void)state;
    const struct fmt *all[] = {&swf,    &vmtable,   &azcpu,  &gtask,
                               &gjob,   &gmachine,  &gusage, &ameta,
                               &ausage, &bitbrains, &vtrace};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
        const struct fmt *f = all[i];
        char text[8192];
        unsigned head = 0;
        for (const char *p = f->head; *p; p++)
            head += *p == '\n';
        snprintf(text, sizeof text, "%s%s\n%s\n%.7s", f->head, f->lines[0],
                 f->lines[1], f->lines[2]);
        const char *path = put(f->file, text);
        struct wl_opts o = {.abi = WL_ABI, .format = f->f};
        struct drained d;
        drain(path, &o, &d);
        print_message("%s: %s\n", f->file, d.nprob ? d.prob[0] : "(none)");
        assert_int_equal(d.st.errors, 1);
        assert_int_equal(d.st.records, 2);
        assert_non_null(strstr(d.prob[0], ": columns: "));
        char want[600];
        snprintf(want, sizeof want, "%s:%u: ", path, head + 3);
        assert_memory_equal(d.prob[0], want, strlen(want));
    }
}

static void test_wl_readers_truncated_gzip(void **state)
{
    (void)state;
    char text[65536] = "; Computer: test\n";
    for (unsigned j = 1; j <= 600; j++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n,
                 "%u %u 5 %u 4 -1 -1 4 200 -1 1 %u 1 -1 -1 -1 -1 -1\n", j,
                 j * 10, j * 7 % 1000, j * 31 % 97);
    }
    const char *gz = put_gz("t.swf.gz", text);
    struct drained d;
    drain(gz, NULL, &d);
    assert_int_equal(d.nprob, 0);
    assert_int_equal(d.vms, 600);
    struct stat st;
    assert_int_equal(stat(gz, &st), 0);
    assert_int_equal(truncate(gz, st.st_size / 2), 0);
    drain(gz, NULL, &d);
    print_message("%s\n", d.nprob ? d.prob[0] : "(none)");
    assert_true(d.nprob >= 1);
    assert_true(d.vms < 600);
    assert_non_null(strstr(d.prob[d.nprob > 4 ? 3 : d.nprob - 1], "gzip"));
    struct wl_opts o = {.abi = WL_ABI, .fatal = true};
    drain(gz, &o, &d);
    assert_int_equal(d.rc, -1);
}

/* An empty file, or a header alone: no records is a problem. */
static void test_wl_readers_empty(void **state)
{
    (void)state;
    const struct fmt *all[] = {&swf,    &vmtable,   &azcpu,  &gtask,
                               &gjob,   &gmachine,  &gusage, &ameta,
                               &ausage, &bitbrains, &vtrace};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
        for (unsigned h = 0; h < 2; h++) {
            const char *path = put(all[i]->file, h ? all[i]->head : "");
            struct wl_opts o = {.abi = WL_ABI, .format = all[i]->f};
            struct drained d;
            drain(path, &o, &d);
            expect_problem(&d, path, 0, "records", "none");
            assert_int_equal(d.vms, 0);
            assert_int_equal(d.rc, 0);
            o.fatal = true;
            drain(path, &o, &d);
            assert_int_equal(d.rc, -1);
        }
    }
    /* Detection cannot tell an empty file without a telling name. */
    struct drained d;
    drain(put("x.dat", ""), NULL, &d);
    assert_int_equal(d.open_rc, -1);
    assert_non_null(strstr(d.err, "empty"));
}

/* Sampling keeps about the fraction asked for, the same VMs for a seed. */
static void test_wl_readers_sample(void **state)
{
    (void)state;
    static char text[400000];
    char *p = text;
    for (unsigned j = 1; j <= 4000; j++)
        p += sprintf(p, "%u %u 5 100 1 -1 -1 1 200 -1 1 1 1 -1 -1 -1 -1 -1\n",
                     j, j);
    const char *path = put("many.swf", text);
    struct wl_opts o = {.abi = WL_ABI, .sample = 0.25, .seed = 9};
    struct drained a, b, c;
    drain(path, &o, &a);
    drain(path, &o, &b);
    o.seed = 10;
    drain(path, &o, &c);
    /* binomial(4000, 0.25): sd 27 */
    assert_true(a.vms > 1000 - 140 && a.vms < 1000 + 140);
    assert_int_equal(a.vms, b.vms);
    assert_int_equal(a.first.id, b.first.id);
    assert_int_equal(a.last.id, b.last.id);
    assert_true(a.vms != c.vms || a.first.id != c.first.id ||
                a.last.id != c.last.id);
    assert_int_equal(a.st.filtered, 4000 - a.vms);
}

/* A line past 4 MiB is reported and skipped; the next ones are read. */
static void test_wl_readers_long_line(void **state)
{
    (void)state;
    size_t big = (4u << 20) + 100;
    char *text = malloc(big + 512);
    assert_non_null(text);
    int n = sprintf(text, "%s\n", swf.lines[0]);
    memset(text + n, '7', big);
    n += (int)big;
    sprintf(text + n, "\n%s\n%s\n", swf.lines[1], swf.lines[2]);
    const char *path = put("long.swf", text);
    free(text);
    struct drained d;
    drain(path, NULL, &d);
    expect_problem(&d, path, 2, "line", "longer than 4194304 bytes");
    assert_int_equal(d.st.errors, 1);
    assert_int_equal(d.vms, 3);
    struct wl_opts o = {.abi = WL_ABI, .fatal = true};
    drain(path, &o, &d);
    assert_int_equal(d.rc, -1);
}

/* PlanetLab: numbers in 0..100, 288 per file; folders by day. */
static void test_wl_readers_planetlab(void **state)
{
    (void)state;
    char day[2048] = "", *p = day;
    for (unsigned i = 0; i < 288; i++)
        p += sprintf(p, "%u\n", i % 100);
    put("pl/20110303/host_a slice", day);
    put("pl/20110304/host_b", day);
    char path[512];
    snprintf(path, sizeof path, "%s/pl", tmp_dir);
    struct drained d;
    drain(path, NULL, &d);
    assert_int_equal(d.nprob, 0);
    assert_int_equal(d.vms, 2);
    assert_string_equal(d.first_name, "pl.20110303.host_a_slice");
    assert_int_equal(d.last.arrival_ns, 86400000000000ull);
    assert_int_equal(d.st.records, 576);

    static const struct {
        unsigned line;
        const char *text, *field, *what;
    } cases[] = {
        {2, "abc", "utilisation", "'abc' is not a number"},
        {2, "-5", "utilisation", "negative"},
        {2, "150", "utilisation", "more than 100"},
        {2, "1e400", "utilisation", "out of range"},
        {2, "12,13", "utilisation", "not a number"},
    };
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[2048];
        p = text + sprintf(text, "5\n%s\n", cases[c].text);
        for (unsigned k = 2; k < 288; k++)
            p += sprintf(p, "7\n");
        const char *f = put("one", text);
        struct wl_opts o = {.abi = WL_ABI, .format = WL_FMT_PLANETLAB};
        drain(f, &o, &d);
        expect_problem(&d, f, cases[c].line, cases[c].field, cases[c].what);
        /* the bad reading is skipped: 287 left, so the count is short too */
        assert_int_equal(d.st.errors, 2);
        assert_int_equal(d.vms, 1);
    }
    /* A truncated day: fewer than 288 readings. */
    const char *f = put("short", "1\n2\n3\n");
    struct wl_opts o = {.abi = WL_ABI, .format = WL_FMT_PLANETLAB};
    drain(f, &o, &d);
    expect_problem(&d, f, 3, "readings", "3, expected 288");
    assert_int_equal(d.vms, 1);
    assert_int_equal(d.first.lifetime_ns, 900000000000ull);
}

/* The vmtable is not in time order: the reorder buffer sorts it; what it
 * cannot hold is delayed to the previous arrival and counted. */
static void test_wl_readers_vmtable_unsorted(void **state)
{
    (void)state;
    char text[8192] = "";
    for (unsigned i = 0; i < 50; i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n,
                 "v%u,s,d%u,%u,%u,50,10,40,Interactive,1,1\n", i, i % 3,
                 (i * 37 % 50) * 300, (i * 37 % 50) * 300 + 600);
    }
    const char *path = put("vmtable.csv", text);
    wl_source_t *s;
    char err[256];
    struct wl_opts o = {.abi = WL_ABI, .reorder = 64};
    assert_int_equal(wl_open(path, &o, &s, err, sizeof err), 0);
    struct wl_vm vm;
    uint64_t last = 0, n = 0;
    while (wl_next(s, &vm) == 1) {
        assert_true(vm.arrival_ns >= last);
        assert_int_equal(vm.arrival_ns, n * 300000000000ull);
        last = vm.arrival_ns;
        n++;
    }
    assert_int_equal(n, 50);
    assert_int_equal(wl_stats(s)->late, 0);
    wl_close(s);
    o.reorder = 4;
    assert_int_equal(wl_open(path, &o, &s, err, sizeof err), 0);
    for (last = 0; wl_next(s, &vm) == 1; last = vm.arrival_ns)
        assert_true(vm.arrival_ns >= last);
    assert_true(wl_stats(s)->late > 0);
    wl_close(s);
}

/* Window, sampling and scale; the SWF header kept as metadata. */
static void test_wl_readers_window_scale_meta(void **state)
{
    (void)state;
    const char *path = write_fmt(&swf, -1, NULL, NULL);
    struct wl_opts o = {.abi = WL_ABI,
                        .start_ns = 10000000000ull,
                        .end_ns = 20000000000ull,
                        .scale = 0.5};
    struct drained d;
    drain(path, &o, &d);
    assert_int_equal(d.vms, 1);
    assert_int_equal(d.first.arrival_ns, 0);
    assert_int_equal(d.first.trace_ns, 10000000000ull);
    assert_int_equal(d.first.lifetime_ns, 50000000000ull);
    assert_int_equal(d.first_phase_ns[0], 50000000000ull);
    assert_int_equal(d.st.filtered, 2);

    struct wl_opts all = {.abi = WL_ABI, .burst_ns = 10000000000ull};
    drain(path, &all, &d); /* job 1: 50 s CPU of 100 s: half busy */
    assert_int_equal(d.first.loops, 10);
    assert_int_equal(d.first_phase_ns[0], 5000000000ull);
    assert_int_equal(d.first_phase_ns[1], 5000000000ull);

    wl_source_t *s;
    char err[256];
    assert_int_equal(wl_open(path, NULL, &s, err, sizeof err), 0);
    assert_string_equal(wl_meta(s, "computer"), "test");
    assert_string_equal(wl_meta(s, "Version"), "2.2");
    assert_null(wl_meta(s, "MaxJobs"));
    wl_close(s);

    o = (struct wl_opts){.abi = WL_ABI, .sample = 1.5};
    assert_int_equal(wl_open(path, &o, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "sample"));
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wl_readers_good_files),
        cmocka_unit_test(test_wl_readers_bad_lines),
        cmocka_unit_test(test_wl_readers_truncated),
        cmocka_unit_test(test_wl_readers_truncated_gzip),
        cmocka_unit_test(test_wl_readers_empty),
        cmocka_unit_test(test_wl_readers_sample),
        cmocka_unit_test(test_wl_readers_long_line),
        cmocka_unit_test(test_wl_readers_planetlab),
        cmocka_unit_test(test_wl_readers_vmtable_unsorted),
        cmocka_unit_test(test_wl_readers_window_scale_meta),
    };
    return cmocka_run_group_tests_name("wl_readers", tests, tmp_setup,
                                       tmp_teardown);
}
