// SPDX-License-Identifier: GPL-3.0-or-later
/* Every trace in the shared data folder (VCPU_TEST_SHARED_DATA; skipped if
 * missing) parses without a problem, with as many records as the file has
 * data lines (counted here, independently of the readers) and as many VMs
 * as the mapping promises; then records checked by hand against the files
 * (values quoted in the comments). */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wl_test.h"

#define DATA VCPU_TEST_SHARED_DATA
#define S(x) ((uint64_t)(x)*1000000000ull)

static bool have_data(void)
{
    struct stat st;
    return !stat(DATA "/swf", &st) && S_ISDIR(st.st_mode);
}

/* ---- independent counts ------------------------------------------------- */

struct counts {
    uint64_t data;    /* lines that are not comments, headers or empty */
    uint64_t swf_vms; /* SWF: known submit and run time and processors */
    uint64_t ev0;     /* Google events: SUBMIT rows */
    uint64_t groups;  /* runs of equal first fields (Alibaba machines) */
    uint64_t keys;    /* distinct second fields (Azure vmids) */
};

static bool seen_key(char ***keys, uint64_t *n, const char *k)
{
    for (uint64_t i = 0; i < *n; i++)
        if (!strcmp((*keys)[i], k))
            return true;
    *keys = realloc(*keys, (*n + 1) * sizeof **keys);
    (*keys)[(*n)++] = strdup(k);
    return false;
}

static void count_line(const char *l, struct counts *c, char *prev,
                       char ***keys, uint64_t *nkeys)
{
    if (!l[0] || l[0] == ';' || l[0] == '#' || !strncmp(l, "Timestamp", 9))
        return;
    c->data++;
    double f[18];
    if (sscanf(l,
               "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf "
               "%lf %lf %lf",
               &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8],
               &f[9], &f[10], &f[11], &f[12], &f[13], &f[14], &f[15], &f[16],
               &f[17]) == 18)
        c->swf_vms += f[1] >= 0 && f[3] >= 0 && (f[4] > 0 || f[7] > 0);
    const char *c1 = strchr(l, ',');
    char first[128] = "", second[128] = "";
    if (c1) {
        snprintf(first, sizeof first, "%.*s", (int)(c1 - l), l);
        const char *c2 = strchr(c1 + 1, ',');
        snprintf(second, sizeof second, "%.*s", (int)(c2 ? c2 - c1 - 1 : 0),
                 c1 + 1);
    }
    if (strcmp(first, prev))
        c->groups++;
    snprintf(prev, 128, "%s", first);
    if (keys && !seen_key(keys, nkeys, second))
        c->keys++;
    /* task_events: event type is field 6; job_events: field 4 */
    const char *p = l;
    for (int i = 0; i < 5 && p; i++)
        p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
    c->ev0 += p && p[0] == '0' && p[1] == ',';
}

static struct counts count_file(const char *path, bool distinct)
{
    struct counts c = {0};
    char line[65536], prev[128] = "", **keys = NULL;
    uint64_t nkeys = 0;
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    while (gzgets(g, line, sizeof line)) {
        line[strcspn(line, "\r\n")] = '\0';
        count_line(line, &c, prev, distinct ? &keys : NULL, &nkeys);
    }
    gzclose(g);
    for (uint64_t i = 0; i < nkeys; i++)
        free(keys[i]);
    free(keys);
    return c;
}

/* ---- every file --------------------------------------------------------- */

static uint64_t expected_vms(enum wl_format f, const char *path,
                             const struct counts *c)
{
    switch (f) {
    case WL_FMT_SWF:
        return c->swf_vms;
    case WL_FMT_AZURE_VMTABLE:
        return c->data;
    case WL_FMT_AZURE_CPU:
        return c->keys;
    case WL_FMT_GOOGLE_TASK:
        /* the real sample: SUBMITs only; CloudSim Plus's: checked by hand */
        return strstr(path, "cloudsimplus") ? 11 : c->ev0;
    case WL_FMT_GOOGLE_JOB:
        /* 4900 SUBMIT, 4892 SCHEDULE, 912 ends of which 26 for jobs
         * submitted before the file began; two SCHEDULEs without a SUBMIT
         * make VMs too (replayed independently in Python: 4902). */
        return 4902;
    case WL_FMT_ALIBABA_USAGE:
        return c->groups;
    case WL_FMT_BITBRAINS:
    case WL_FMT_PLANETLAB:
        return 1;
    default:
        return 0;
    }
}

static unsigned nfiles;

static void check_file(const char *path)
{
    struct drained d;
    drain(path, NULL, &d);
    if (d.open_rc || d.nprob || d.rc)
        fail_msg("%s: %s", path, d.open_rc ? d.err : d.prob[0]);
    wl_source_t *s;
    char err[512];
    assert_int_equal(wl_open(path, NULL, &s, err, sizeof err), 0);
    enum wl_format f = wl_source_format(s);
    wl_close(s);
    struct counts c = count_file(path, f == WL_FMT_AZURE_CPU);
    if (d.st.records != c.data)
        fail_msg("%s: %llu records, the file has %llu data lines", path,
                 (unsigned long long)d.st.records, (unsigned long long)c.data);
    uint64_t want = expected_vms(f, path, &c);
    if (d.vms != want)
        fail_msg("%s (%s): %llu VMs, want %llu", path, wl_format_name(f),
                 (unsigned long long)d.vms, (unsigned long long)want);
    assert_int_equal(d.st.errors, 0);
    assert_int_equal(d.st.late, 0);
    nfiles++;
}

static void walk(const char *dir)
{
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    for (struct dirent *e; (e = readdir(dd));) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode))
            walk(path);
        else
            check_file(path);
    }
    closedir(dd);
}

/* hwloc-xml/ holds topologies (read by the topology tests), README.md and
 * MANIFEST.sha256 describe the data: every other file is a trace. */
static void test_wl_shared_every_file_parses(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    static const char *const dirs[] = {"swf",     "azure",     "google",
                                       "alibaba", "bitbrains", "planetlab"};
    for (unsigned i = 0; i < 6; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", DATA, dirs[i]);
        walk(path);
    }
    print_message("%u files\n", nfiles);
    assert_true(nfiles >= 1052 + 20);
}

/* ---- by hand ------------------------------------------------------------ */

static void test_wl_shared_swf(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    struct drained d;
    /* "   15   599850 192180   3477    4 ..." is the first job and
     * "28490 29363618    720      8    1 ... 198 ..." the last. */
    drain(DATA "/swf/KTH-SP2-1996-2.1-cln.swf", NULL, &d);
    assert_string_equal(d.first_name, "KTH-SP2-1996-2.1-cln.15");
    assert_int_equal(d.first.trace_ns, S(599850));
    assert_int_equal(d.first.vcpus, 4);
    assert_int_equal(d.first.lifetime_ns, S(3477));
    assert_int_equal(d.first.line, 25);
    assert_int_equal(d.last.id, 28490);
    assert_int_equal(d.last.trace_ns, S(29363618));
    assert_int_equal(d.last.lifetime_ns, S(8));
    assert_int_equal(d.last.group, 198);
    wl_source_t *s;
    char err[512];
    assert_int_equal(wl_open(DATA "/swf/KTH-SP2-1996-2.1-cln.swf", NULL, &s,
                             err, sizeof err),
                     0);
    assert_string_equal(wl_meta(s, "MaxJobs"), "28490");
    assert_string_equal(wl_meta(s, "UnixStartTime"), "843480031");
    assert_string_equal(wl_meta(s, "Information"),
                        "http://www.pdc.kth.se/ "
                        "http://www.cs.huji.ac.il/labs/parallel/workload/");
    assert_string_equal(wl_meta(s, "Note"), "uses the EASY scheduler");
    wl_close(s);
    /* gzip: "    1        0     -1   1451  128 ..." */
    drain(DATA "/swf/NASA-iPSC-1993-3.1-cln.swf.gz", NULL, &d);
    assert_int_equal(d.first.trace_ns, 0);
    assert_int_equal(d.first.vcpus, 128);
    assert_int_equal(d.first.lifetime_ns, S(1451));
    assert_int_equal(d.vms, 18239);
    /* "    5   310541  50766  29063   64  28191 ..." is the last of five */
    drain(DATA "/swf/CTC-SP2-1996-3.1-cln.excerpt5.swf", NULL, &d);
    assert_int_equal(d.vms, 5);
    assert_int_equal(d.last.trace_ns, S(310541));
    assert_int_equal(d.last.vcpus, 64);
    assert_int_equal(d.last.lifetime_ns, S(29063));
}

static void test_wl_shared_azure(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    struct drained d;
    /* Row 7 arrives last: "...,2290500,2292300,94.113335,32.461745857142866,
     * 94.113335,Unkown,1,1.75": 1 vCPU, 1792 MB, 1800 s at 32.46%. */
    drain(DATA "/azure/v1-2017/vmtable.first10.csv", NULL, &d);
    assert_int_equal(d.vms, 10);
    assert_int_equal(d.first.line, 1);
    assert_int_equal(d.first.vcpus, 1);
    assert_int_equal(d.first.memory_mb, 1792);
    assert_int_equal(d.first.lifetime_ns, S(2591700));
    assert_int_equal(d.last.line, 7);
    assert_int_equal(d.last.trace_ns, S(2290500));
    assert_int_equal(d.last.lifetime_ns, S(1800));
    assert_int_equal(d.last.loops, 6);
    /* busy time over all ten: sum of lifetime x avgcpu */
    double want =
        2591700 * 3.4240942342446719 + 1539300 * 6.18178366757598 +
        (2591700 - 2188800) * 3.5736346071428589 + 2591700 * 16.2876105408034 +
        2188500 * 3.036037969572376 + 2591700 * 34.17401179027781 +
        1800 * 32.461745857142866 + 2591700 * 1.3500837561060346 +
        (2300100 - 2281200) * 43.724999781249991 + 2591700 * 18.989459534151351;
    assert_true(fabs(d.busy_ns / 1e9 - want / 100) < 1e-3 * want / 100);
    /* "0,+ZcrOp5/c/fJ6mVgP5qMZlOAGDwyjaaDNM0WoWOt2IDb47gT0UwK9lFwkPQv3C7Q,
     * 2.052803,3.911587,2.86979": one 5-minute slot at 2.86979%. */
    drain(DATA "/azure/v1-2017/vm_cpu_readings-file-1-of-125.first100.csv",
          NULL, &d);
    assert_int_equal(d.vms, 100);
    assert_int_equal(d.first.lifetime_ns, S(300));
    assert_true(fabs(d.first_phase_ns[0] - 300e9 * 0.0286979) < 1e3);
}

static void test_wl_shared_google(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    struct drained d;
    const char *te =
        DATA "/google/2011/task_events-part-00000-of-00500.first20000.csv";
    drain(te, NULL, &d);
    /* "0,2,3418309,0,4155527081,0,70s3v5...,3,9,,,,": no request (1 vCPU),
     * no end in the file: runs until the end of the run. */
    assert_string_equal(d.first_name,
                        "task_events-part-00000-of-00500.first20000."
                        "3418309.0");
    assert_int_equal(d.first.vcpus, 1);
    assert_int_equal(d.first.loops, 0);
    assert_int_equal(d.first.lifetime_ns, 0);
    assert_int_equal(d.first.group, 3418309);
    /* CloudSim Plus's example: job 1 task 0 "0,,1,0,0,0,...,0.125,0.07446,
     * ..." scheduled at 10 s, finished at 50 s: ceil(0.125 x 32) vCPUs. */
    drain(DATA "/google/2011/format-examples-cloudsimplus/"
               "task-events-sample-1.csv",
          NULL, &d);
    assert_string_equal(d.first_name, "task-events-sample-1.1.0");
    assert_int_equal(d.first.vcpus, 4);
    assert_int_equal(d.first.memory_mb, 9759);
    assert_int_equal(d.first.lifetime_ns, S(40));
    drain(DATA "/google/2011/job_events-part-00000-of-00500.csv", NULL, &d);
    assert_int_equal(d.st.records, 10704);
    assert_int_equal(d.st.unusable, 26);
    assert_int_equal(d.st.last_ns, 5598884349000ull);
}

static void test_wl_shared_alibaba_bitbrains(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    struct drained d;
    /* First samples: m_1937 at 0 s ... m_1932 at 386640 s (it starts part
     * way through its series), so m_1937 arrives first and m_1932 last. */
    drain(DATA "/alibaba/v2018/machine_usage.m_1932-m_1939.csv", NULL, &d);
    assert_int_equal(d.vms, 8);
    assert_string_equal(d.first_name, "machine_usage.m_1932-m_1939.m_1937");
    assert_string_equal(d.last_name, "machine_usage.m_1932-m_1939.m_1932");
    assert_int_equal(d.last.trace_ns, S(386640));
    assert_int_equal(d.last.vcpus, 96);
    drain(DATA "/alibaba/v2018/machine_meta.csv", NULL, &d);
    assert_int_equal(d.st.records, 17592);
    assert_int_equal(d.vms, 0);
    /* "1376314846;\t1;\t2599.999309;..." to "1378906798;\t1;..." 300 s
     * after the one before; 2097152 KB provisioned. */
    drain(DATA "/bitbrains/fastStorage/opendc-sample-vm.csv", NULL, &d);
    assert_int_equal(d.st.records, 8619);
    assert_int_equal(d.first.vcpus, 1);
    assert_int_equal(d.first.memory_mb, 2048);
    assert_int_equal(d.first.lifetime_ns, S(1378906798 - 1376314846 + 300));
    /* rnd/2013-7/1.csv: "1372629804;\t2;\t5851.9989;...;\t8218624.0;..." */
    drain(DATA "/bitbrains/rnd/2013-7", NULL, &d);
    assert_int_equal(d.vms, 5);
    assert_int_equal(d.first.vcpus, 2);
    assert_int_equal(d.first.memory_mb, 8218624 / 1024);
    assert_string_equal(d.first_name, "2013-7.1");
}

static void test_wl_shared_planetlab(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    struct drained d;
    drain(DATA "/planetlab/20110303", NULL, &d);
    assert_int_equal(d.vms, 1052);
    assert_int_equal(d.st.records, 1052 * 288);
    /* A name with a space; its 288 readings add up to 7536 (percent), so
     * it computes 7536 / 100 x 300 s in a day. */
    drain(DATA "/planetlab/20110303/planetlab1_nrl_dcs_qmul_ac_uk_ "
               "rnp_dcc_ufjf",
          NULL, &d);
    assert_int_equal(d.vms, 1);
    assert_int_equal(d.first.lifetime_ns, S(86400));
    assert_true(fabs(d.busy_ns - 7536 / 100.0 * 300e9) < 1e3);
    assert_true(fabs(d.life_ns - 86400e9) < 1e3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wl_shared_every_file_parses),
        cmocka_unit_test(test_wl_shared_swf),
        cmocka_unit_test(test_wl_shared_azure),
        cmocka_unit_test(test_wl_shared_google),
        cmocka_unit_test(test_wl_shared_alibaba_bitbrains),
        cmocka_unit_test(test_wl_shared_planetlab),
    };
    return cmocka_run_group_tests_name("wl_shared", tests, NULL, NULL);
}
