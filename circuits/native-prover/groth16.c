/*
 * careledger-groth16: a native Groth16 prover for snarkjs BN254 ("bn128") zkeys, run as a sidecar.
 *
 * Usage: careledger-groth16 [--threads N] ZKEY
 *
 * Protocol. At start the zkey is read, checked (field moduli, sizes, every point on its curve) and
 * kept in memory; then one JSON line goes to stdout: {"ready":true,"nVars":..,"nPublic":..,
 * "domainSize":..,"threads":..} or {"error":"..."} followed by exit status 1. After that, each
 * request on stdin is a 4-byte little-endian length followed by that many bytes of a circom .wtns
 * file, and each gets exactly one line on stdout, in order:
 *   {"proof":{"pi_a":[..],"pi_b":[..],"pi_c":[..],"protocol":"groth16","curve":"bn128"},"publicSignals":[..]}
 * or {"error":"..."} for a witness that cannot be used (bad header, wrong field, wrong size, a value
 * that is not a field element, witness[0] != 1). End of input between requests ends the process with
 * status 0; end of input inside a request, or a length above 1 GiB, ends it with status 2 and a
 * message on stderr (the framing is lost). A well-formed witness that does not satisfy the circuit
 * is not detected (the zkey has no C matrix); its proof just fails verification, as with snarkjs.
 * With CARELEDGER_GROTH16_PROFILE=1 the MSMs run one after another and per-phase milliseconds go to
 * stderr as one JSON line per proof.
 *
 * Algorithm, identical to snarkjs 0.7 groth16Prove so the zkey's H points apply: see qap.h for the
 * H scalars; then A = alpha1 + sum w_i A_i + r delta1, B2 = beta2 + sum w_i B2_i + s delta2,
 * B1 likewise in G1, C = sum_{i > nPublic} w_i C_i + sum h_j H_j + s A + r B1 - r s delta1, with r and
 * s fresh uniform field elements from /dev/urandom. The five MSMs share one pool of window tasks
 * (msm.h); field and curve arithmetic are in bn254.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bn254.h"
#include "msm.h"
#include "qap.h"

#define MAX_REQUEST_BYTES (1u << 30)

typedef struct {
    const uint8_t *data;
    size_t size;
} section_t;

typedef struct {
    uint32_t n_vars, n_public, domain_size;
    g1_aff alpha1, beta1, delta1;
    g2_aff beta2, delta2;
    g1_aff *a, *b1, *c, *h;
    g2_aff *b2;
    qap_t qap;
} zkey_t;

static int g_threads = 1;
static int g_profile = 0;
static int g_urandom = -1;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static void le256(u64 out[4], const uint8_t *p) {
    for (int i = 0; i < 4; i++) out[i] = le64(p + 8 * i);
}

/*
 * The iden3 binary container shared by .zkey and .wtns: 4-byte magic, u32 version, u32 section
 * count, then (u32 type, u64 size, bytes) per section. Only the first section of each type counts.
 */
static const char *parse_container(const uint8_t *buf, size_t size, const char *magic, section_t *sections, int max_type) {
    memset(sections, 0, sizeof(section_t) * (size_t)(max_type + 1));
    if (size < 12 || memcmp(buf, magic, 4) != 0) return "not a binary file of the expected type (bad magic)";
    const uint32_t count = le32(buf + 8);
    size_t pos = 12;
    for (uint32_t i = 0; i < count; i++) {
        if (size - pos < 12) return "truncated section header";
        const uint32_t type = le32(buf + pos);
        const uint64_t len = le64(buf + pos + 4);
        pos += 12;
        if (len > size - pos) return "truncated section";
        if (type <= (uint32_t)max_type && sections[type].data == NULL) {
            sections[type].data = buf + pos;
            sections[type].size = (size_t)len;
        }
        pos += (size_t)len;
    }
    return NULL;
}

static int load_fp(fp_t *r, const uint8_t *p) {
    le256(r->v, p);
    return limbs_lt(r->v, FP_Q);
}

static int load_g1(g1_aff *r, const uint8_t *p) {
    return load_fp(&r->x, p) && load_fp(&r->y, p + 32) && g1_aff_on_curve(r, &G1_B);
}

static int load_g2(g2_aff *r, const uint8_t *p) {
    return load_fp(&r->x.c0, p) && load_fp(&r->x.c1, p + 32) && load_fp(&r->y.c0, p + 64) && load_fp(&r->y.c1, p + 96) &&
           g2_aff_on_curve(r, &G2_B);
}

static const char *load_g1_section(g1_aff **out, const section_t *s, size_t count) {
    if (s->data == NULL || s->size != count * 64) return "zkey point section missing or of the wrong size";
    *out = malloc((count ? count : 1) * sizeof(g1_aff));
    if (!*out) return "out of memory";
    for (size_t i = 0; i < count; i++) {
        if (!load_g1(&(*out)[i], s->data + 64 * i)) return "zkey G1 point not on the curve (not a snarkjs BN254 zkey?)";
    }
    return NULL;
}

static const char *load_zkey(zkey_t *z, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return strerror(errno);
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return "cannot seek the zkey"; }
    const long size = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf) { fclose(f); return "out of memory"; }
    const size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (size <= 0 || got != (size_t)size) { free(buf); return "cannot read the zkey"; }

    section_t s[10];
    const char *err = parse_container(buf, (size_t)size, "zkey", s, 9);
    if (err) { free(buf); return err; }
    if (!s[1].data || s[1].size < 4 || le32(s[1].data) != 1) { free(buf); return "zkey is not a Groth16 key"; }
    const section_t *hd = &s[2];
    const size_t header_size = 4 + 32 + 4 + 32 + 12 + 3 * 64 + 3 * 128;
    if (!hd->data || hd->size != header_size) { free(buf); return "zkey Groth16 header missing or of the wrong size"; }
    const uint8_t *p = hd->data;
    u64 q[4], r[4];
    if (le32(p) != 32) { free(buf); return "zkey base field is not 32 bytes"; }
    le256(q, p + 4);
    if (le32(p + 36) != 32) { free(buf); return "zkey scalar field is not 32 bytes"; }
    le256(r, p + 40);
    if (!limbs_eq(q, FP_Q) || !limbs_eq(r, FR_Q)) { free(buf); return "zkey is not for BN254 (bn128)"; }
    p += 72;
    z->n_vars = le32(p);
    z->n_public = le32(p + 4);
    z->domain_size = le32(p + 8);
    p += 12;
    int power = 0;
    while (((uint32_t)1 << power) < z->domain_size) power++;
    if (z->domain_size == 0 || ((uint32_t)1 << power) != z->domain_size) { free(buf); return "zkey domain size is not a power of two"; }
    if (z->n_public + 1 > z->n_vars) { free(buf); return "zkey has more public signals than variables"; }
    g2_aff gamma2;
    if (!load_g1(&z->alpha1, p) || !load_g1(&z->beta1, p + 64) || !load_g2(&z->beta2, p + 128) || !load_g2(&gamma2, p + 256) ||
        !load_g1(&z->delta1, p + 384) || !load_g2(&z->delta2, p + 448)) {
        free(buf);
        return "zkey verification key point not on the curve";
    }

    err = qap_init(&z->qap, power, s[4].data ? s[4].data : (const uint8_t *)"", s[4].size, z->n_vars);
    if (!err) err = load_g1_section(&z->a, &s[5], z->n_vars);
    if (!err) err = load_g1_section(&z->b1, &s[6], z->n_vars);
    if (!err) err = load_g1_section(&z->c, &s[8], z->n_vars - z->n_public - 1);
    if (!err) err = load_g1_section(&z->h, &s[9], z->domain_size);
    if (!err) {
        if (!s[7].data || s[7].size != (size_t)z->n_vars * 128) err = "zkey B2 section missing or of the wrong size";
        else if (!(z->b2 = malloc((size_t)z->n_vars * sizeof(g2_aff)))) err = "out of memory";
        for (size_t i = 0; !err && i < z->n_vars; i++) {
            if (!load_g2(&z->b2[i], s[7].data + 128 * i)) err = "zkey G2 point not on the curve";
        }
    }
    free(buf);
    return err;
}

static const char *parse_witness(const zkey_t *z, const uint8_t *buf, size_t size, fr_t *w) {
    section_t s[3];
    const char *err = parse_container(buf, size, "wtns", s, 2);
    if (err) return err;
    if (!s[1].data || s[1].size != 40) return "witness header missing or of the wrong size";
    if (le32(s[1].data) != 32) return "witness field elements are not 32 bytes";
    u64 prime[4];
    le256(prime, s[1].data + 4);
    if (!limbs_eq(prime, FR_Q)) return "witness is not over the BN254 scalar field";
    const uint32_t count = le32(s[1].data + 36);
    if (count != z->n_vars) return "witness length does not match the circuit";
    if (!s[2].data || s[2].size != (size_t)count * 32) return "witness values section missing or of the wrong size";
    for (uint32_t i = 0; i < count; i++) {
        le256(w[i].v, s[2].data + 32 * (size_t)i);
        if (!limbs_lt(w[i].v, FR_Q)) return "witness value is not a field element";
    }
    static const u64 one[4] = {1, 0, 0, 0};
    if (!limbs_eq(w[0].v, one)) return "witness[0] is not 1";
    return NULL;
}

/* uniform in [1, r): 254 random bits, rejected when not below r (accepts ~76%) */
static int random_fr(fr_t *out) {
    for (;;) {
        uint8_t bytes[32];
        size_t got = 0;
        while (got < sizeof bytes) {
            const ssize_t n = read(g_urandom, bytes + got, sizeof bytes - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return -1;
            got += (size_t)n;
        }
        le256(out->v, bytes);
        out->v[3] &= ((u64)1 << 62) - 1;
        if (limbs_lt(out->v, FR_Q) && !limbs_is_zero(out->v)) return 0;
    }
}

typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

static void sb_put(strbuf *sb, const char *s) {
    const size_t n = strlen(s);
    if (sb->len + n + 1 > sb->cap) {
        sb->cap = (sb->len + n + 1) * 2;
        sb->buf = realloc(sb->buf, sb->cap);
        if (!sb->buf) abort();
    }
    memcpy(sb->buf + sb->len, s, n + 1);
    sb->len += n;
}

static void sb_fp(strbuf *sb, const fp_t *mont) {
    fp_t plain;
    char dec[80];
    fp_from_mont(&plain, mont);
    limbs_to_decimal(dec, plain.v);
    sb_put(sb, "\"");
    sb_put(sb, dec);
    sb_put(sb, "\"");
}

/* snarkjs's G1.toObject(G1.toAffine(p)): [x, y, "1"], or ["0", "1", "0"] at infinity */
static void sb_g1(strbuf *sb, const g1_jac *p) {
    g1_aff a;
    if (!g1_to_aff(&a, p)) { sb_put(sb, "[\"0\",\"1\",\"0\"]"); return; }
    sb_put(sb, "[");
    sb_fp(sb, &a.x);
    sb_put(sb, ",");
    sb_fp(sb, &a.y);
    sb_put(sb, ",\"1\"]");
}

static void sb_g2(strbuf *sb, const g2_jac *p) {
    g2_aff a;
    if (!g2_to_aff(&a, p)) { sb_put(sb, "[[\"0\",\"0\"],[\"1\",\"0\"],[\"0\",\"0\"]]"); return; }
    sb_put(sb, "[[");
    sb_fp(sb, &a.x.c0);
    sb_put(sb, ",");
    sb_fp(sb, &a.x.c1);
    sb_put(sb, "],[");
    sb_fp(sb, &a.y.c0);
    sb_put(sb, ",");
    sb_fp(sb, &a.y.c1);
    sb_put(sb, "],[\"1\",\"0\"]]");
}

static void print_error_line(const char *msg) {
    strbuf sb = {0};
    sb_put(&sb, "{\"error\":\"");
    for (const char *c = msg; *c; c++) {
        char one[8] = {0};
        if (*c == '"' || *c == '\\') { one[0] = '\\'; one[1] = *c; }
        else if ((unsigned char)*c < 0x20) snprintf(one, sizeof one, "\\u%04x", (unsigned char)*c);
        else one[0] = *c;
        sb_put(&sb, one);
    }
    sb_put(&sb, "\"}\n");
    fputs(sb.buf, stdout);
    fflush(stdout);
    free(sb.buf);
}

static void run_msms(msm_job *jobs, int njobs, double *ms) {
    if (!g_profile) { msm_run(jobs, njobs, g_threads); return; }
    for (int j = 0; j < njobs; j++) {
        const double t = now_ms();
        msm_run(&jobs[j], 1, g_threads);
        ms[j] = now_ms() - t;
    }
}

static const char *prove(zkey_t *z, const uint8_t *wtns, size_t size, strbuf *out) {
    const double t0 = now_ms();
    fr_t *w = malloc((size_t)z->n_vars * sizeof(fr_t));
    fr_t *h = malloc((size_t)z->domain_size * sizeof(fr_t));
    if (!w || !h) abort();
    const char *err = parse_witness(z, wtns, size, w);
    if (err) { free(w); free(h); return err; }
    fr_t r, s;
    if (random_fr(&r) || random_fr(&s)) { free(w); free(h); return "cannot read /dev/urandom"; }
    const double t1 = now_ms();

    double ms_abc, ms_fft;
    qap_h(&z->qap, w, h, g_threads, &ms_abc, &ms_fft);

    g1_jac pa, pb1, pc, ph;
    g2_jac pb2;
    const uint32_t n_private = z->n_vars - z->n_public - 1;
    msm_job jobs[5] = {
        {1, z->a, w, z->n_vars, &pa},
        {1, z->b1, w, z->n_vars, &pb1},
        {2, z->b2, w, z->n_vars, &pb2},
        {1, z->c, w + z->n_public + 1, n_private, &pc},
        {1, z->h, h, z->domain_size, &ph},
    };
    double ms_msm[5] = {0};
    const double t2 = now_ms();
    run_msms(jobs, 5, ms_msm);
    const double t3 = now_ms();

    g1_jac t, alpha1, beta1, delta1;
    g2_jac t2j, beta2, delta2;
    g1_from_aff(&alpha1, &z->alpha1);
    g1_from_aff(&beta1, &z->beta1);
    g1_from_aff(&delta1, &z->delta1);
    g2_from_aff(&beta2, &z->beta2);
    g2_from_aff(&delta2, &z->delta2);

    g1_add(&pa, &pa, &alpha1);
    g1_mul_scalar(&t, &delta1, &r);
    g1_add(&pa, &pa, &t);

    g2_add(&pb2, &pb2, &beta2);
    g2_mul_scalar(&t2j, &delta2, &s);
    g2_add(&pb2, &pb2, &t2j);

    g1_add(&pb1, &pb1, &beta1);
    g1_mul_scalar(&t, &delta1, &s);
    g1_add(&pb1, &pb1, &t);

    g1_add(&pc, &pc, &ph);
    g1_mul_scalar(&t, &pa, &s);
    g1_add(&pc, &pc, &t);
    g1_mul_scalar(&t, &pb1, &r);
    g1_add(&pc, &pc, &t);
    fr_t rm, sm, rs;
    fr_to_mont(&rm, &r);
    fr_to_mont(&sm, &s);
    fr_mul(&rs, &rm, &sm);
    fr_neg(&rs, &rs);
    fr_from_mont(&rs, &rs);
    g1_mul_scalar(&t, &delta1, &rs);
    g1_add(&pc, &pc, &t);

    out->len = 0;
    sb_put(out, "{\"proof\":{\"pi_a\":");
    sb_g1(out, &pa);
    sb_put(out, ",\"pi_b\":");
    sb_g2(out, &pb2);
    sb_put(out, ",\"pi_c\":");
    sb_g1(out, &pc);
    sb_put(out, ",\"protocol\":\"groth16\",\"curve\":\"bn128\"},\"publicSignals\":[");
    for (uint32_t i = 1; i <= z->n_public; i++) {
        char dec[80];
        limbs_to_decimal(dec, w[i].v);
        if (i > 1) sb_put(out, ",");
        sb_put(out, "\"");
        sb_put(out, dec);
        sb_put(out, "\"");
    }
    sb_put(out, "]}\n");
    const double t4 = now_ms();
    if (g_profile) {
        fprintf(stderr,
                "{\"parseMs\":%.2f,\"abcMs\":%.2f,\"fftMs\":%.2f,\"msmAMs\":%.2f,\"msmB1Ms\":%.2f,\"msmB2Ms\":%.2f,"
                "\"msmCMs\":%.2f,\"msmHMs\":%.2f,\"msmTotalMs\":%.2f,\"finishMs\":%.2f,\"totalMs\":%.2f}\n",
                t1 - t0, ms_abc, ms_fft, ms_msm[0], ms_msm[1], ms_msm[2], ms_msm[3], ms_msm[4], t3 - t2, t4 - t3, t4 - t0);
    }
    free(w);
    free(h);
    return NULL;
}

/* 1: got all n bytes, 0: end of input before the first byte, -1: end of input or error midway */
static int read_exact(uint8_t *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        const ssize_t k = read(STDIN_FILENO, buf + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return got == 0 ? 0 : -1;
        got += (size_t)k;
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *zkey_path = NULL;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = strtol(argv[++i], NULL, 10);
        else if (!zkey_path) zkey_path = argv[i];
        else zkey_path = NULL, i = argc;
    }
    if (!zkey_path || threads < 1) {
        fprintf(stderr, "usage: careledger-groth16 [--threads N] ZKEY\n");
        return 64;
    }
    g_threads = threads > 64 ? 64 : (int)threads;
    const char *profile = getenv("CARELEDGER_GROTH16_PROFILE");
    g_profile = profile && strcmp(profile, "1") == 0;

    if (bn254_init() != 0) {
        print_error_line("BN254 self-check failed (miscompiled arithmetic)");
        return 1;
    }
    g_urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (g_urandom < 0) {
        print_error_line("cannot open /dev/urandom");
        return 1;
    }
    static zkey_t zkey;
    const char *err = load_zkey(&zkey, zkey_path);
    if (err) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s", zkey_path, err);
        print_error_line(msg);
        fprintf(stderr, "careledger-groth16: %s\n", msg);
        return 1;
    }
    printf("{\"ready\":true,\"nVars\":%u,\"nPublic\":%u,\"domainSize\":%u,\"threads\":%d}\n", zkey.n_vars, zkey.n_public,
           zkey.domain_size, g_threads);
    fflush(stdout);

    strbuf out = {0};
    for (;;) {
        uint8_t len_bytes[4];
        const int got = read_exact(len_bytes, 4);
        if (got == 0) {
            free(out.buf);
            return 0;
        }
        if (got < 0) {
            fprintf(stderr, "careledger-groth16: input ended inside a request length\n");
            return 2;
        }
        const uint32_t len = le32(len_bytes);
        if (len > MAX_REQUEST_BYTES) {
            fprintf(stderr, "careledger-groth16: request of %u bytes is over the 1 GiB limit\n", len);
            return 2;
        }
        uint8_t *req = malloc(len ? len : 1);
        if (!req) abort();
        if (len && read_exact(req, len) != 1) {
            fprintf(stderr, "careledger-groth16: input ended inside a %u-byte request\n", len);
            return 2;
        }
        err = prove(&zkey, req, len, &out);
        free(req);
        if (err) print_error_line(err);
        else {
            fputs(out.buf, stdout);
            fflush(stdout);
        }
    }
}
