/* C = A @ B in float32 for the engine's large matrix products, on AVX-512.
 *
 * numpy's OpenBLAS is slowest on the product a Linear layer's forward makes,
 * x @ W^T, where both operands run along k in memory: about 85-95 GFLOP/s on
 * one core here against 105-120 for its other layouts and for PyTorch's.  This
 * is the classic blocked GEMM (Goto / BLIS): slices of A and B are copied
 * ("packed") into the order the inner kernel reads them, and the kernel
 * keeps a 12x32 block of C in 24 vector registers while it runs along k.
 * Packing reads any strides; where the values it gathers run along k in
 * memory (both of x @ W^T's operands), a 16x16 in-register transpose moves
 * 256 of them at a time.
 *
 * Threads split C's rows or columns, and every element of C is summed in
 * the same order (k ascending, in slices of CYGRAD_KC) whatever the thread
 * count.
 *
 * cygrad_sgemm returns 0, having written nothing, where it cannot run
 * (no AVX-512 on this CPU, another architecture or compiler, or no memory);
 * the caller then uses numpy.
 */
#ifndef CYGRAD_SGEMM_H
#define CYGRAD_SGEMM_H

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CYGRAD_SGEMM_AVX512 1
#include <immintrin.h>
#else
#define CYGRAD_SGEMM_AVX512 0
#endif

#define CYGRAD_MR 12       /* rows of C per kernel call: 12 x 2 accumulators */
#define CYGRAD_NR 32       /* columns of C per kernel call: two 16-float vectors */
#define CYGRAD_KC 256      /* k per packed slice: a 12 x 256 slice of A stays in L1 */
#define CYGRAD_NC 256      /* columns per packed slice of B: 256 x 256 floats, in L2 */
#define CYGRAD_MC 480      /* rows of A packed at once (40 kernel rows): bounds the memory */

#if CYGRAD_SGEMM_AVX512

#define CYGRAD_AVX512 __attribute__((target("avx512f")))

static inline CYGRAD_AVX512 __mmask16 cygrad_mask(int n)
{
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* C[0:rows, 0:cols] = (C +) a_panel @ b_panel over kc, where a_panel is kc
 * groups of CYGRAD_MR values (one per row) and b_panel kc groups of
 * CYGRAD_NR (one per column).  `accumulate` adds to C instead of writing. */
static CYGRAD_AVX512 void cygrad_sgemm_kernel(
    int kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
    int rows, int cols, int accumulate)
{
    __m512 c0[CYGRAD_MR], c1[CYGRAD_MR];
#pragma GCC unroll 12
    for (int i = 0; i < CYGRAD_MR; i++) {
        c0[i] = _mm512_setzero_ps();
        c1[i] = _mm512_setzero_ps();
    }
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < CYGRAD_MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
        a += CYGRAD_MR;
        b += CYGRAD_NR;
    }
    __mmask16 m0 = cygrad_mask(cols), m1 = cygrad_mask(cols - 16);
#pragma GCC unroll 12
    for (int i = 0; i < CYGRAD_MR; i++) {
        if (i < rows) {
            float *ci = c + i * ldc;
            if (accumulate) {
                c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m0, ci));
                c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m1, ci + 16));
            }
            _mm512_mask_storeu_ps(ci, m0, c0[i]);
            _mm512_mask_storeu_ps(ci + 16, m1, c1[i]);
        }
    }
}

/* Pack one panel: `lines` (at most `width`) lines of a matrix (rows of A or
 * columns of B; line j starts at src + j * s_line, its k-th value is s_k
 * further per k) into dst as kc groups of `width` values, zero past `lines`. */
static CYGRAD_AVX512 void cygrad_sgemm_pack_panel(
    const float *src, long s_line, long s_k, int lines, int kc, float *restrict dst, int width)
{
    for (int h = 0; h < width; h += 16) {
        const float *s = src + h * s_line;
        int n = lines - h;               /* real lines in this group of 16 */
        int lanes = width - h < 16 ? width - h : 16;
        __mmask16 store = cygrad_mask(lanes);
        if (n > 16) n = 16;
        int k = 0;
        if (s_k == 1) {
            /* each line runs along k: transpose 16 lines x 16 k at a time */
            for (; k + 16 <= kc; k += 16) {
                __m512 r[16], t[16];
                for (int i = 0; i < 16; i++)
                    r[i] = i < n ? _mm512_loadu_ps(s + i * s_line + k) : _mm512_setzero_ps();
                /* pairs of lines interleaved within each 128-bit lane */
                for (int i = 0; i < 16; i += 2) {
                    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
                    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
                }
                /* r[4q + j], lane L: lines 4q..4q+3 at k = 4L + j */
                for (int i = 0; i < 16; i += 4) {
                    __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
                    __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
                    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
                    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
                    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
                    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
                }
                /* gather lane L of the four quads: lines 0..15 at k = 4L + j */
                for (int j = 0; j < 4; j++) {
                    __m512 even01 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
                    __m512 odd01 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
                    __m512 even23 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
                    __m512 odd23 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
                    float *d = dst + (k + j) * width + h;
                    _mm512_mask_storeu_ps(d, store, _mm512_shuffle_f32x4(even01, even23, 0x88));
                    _mm512_mask_storeu_ps(d + 4 * width, store, _mm512_shuffle_f32x4(odd01, odd23, 0x88));
                    _mm512_mask_storeu_ps(d + 8 * width, store, _mm512_shuffle_f32x4(even01, even23, 0xDD));
                    _mm512_mask_storeu_ps(d + 12 * width, store, _mm512_shuffle_f32x4(odd01, odd23, 0xDD));
                }
            }
        }
        /* any other strides, and the k left over by the transpose */
        for (; k < kc; k++)
            for (int i = 0; i < lanes; i++)
                dst[k * width + h + i] = i < n ? s[i * s_line + k * s_k] : 0.0f;
    }
}

/* Pack `lines` lines as consecutive panels of `width` (kc * width values
 * each), the last one zero-padded. */
static CYGRAD_AVX512 void cygrad_sgemm_pack(
    const float *src, long s_line, long s_k, long lines, int kc, float *restrict dst, int width)
{
    if (s_line != 1) {
        for (long j = 0; j < lines; j += width)
            cygrad_sgemm_pack_panel(src + j * s_line, s_line, s_k,
                                    (int)(lines - j < width ? lines - j : width), kc,
                                    dst + j * kc, width);
        return;
    }
    /* The lines are adjacent: copy 8 values of k at a time across all the
     * panels, so that the source is read as 8 sequential streams and each
     * panel written 8 groups at a time.  (Panel by panel, every k would read
     * a new row, often a new page, which the prefetchers do not follow; k by
     * k, the writes would go to panels 32 KiB apart, one cache set.) */
    for (int k0 = 0; k0 < kc; k0 += 8) {
        int k1 = kc - k0 < 8 ? kc : k0 + 8;
        for (long j = 0; j < lines; j += width) {
            for (int h = 0; h < width; h += 16) {
                __mmask16 load = cygrad_mask((int)(lines - j - h)), store = cygrad_mask(width - h);
                for (int k = k0; k < k1; k++)
                    _mm512_mask_storeu_ps(dst + j * kc + k * width + h, store,
                                          _mm512_maskz_loadu_ps(load, src + k * s_k + j + h));
            }
        }
    }
}

/* C (m x n, rows ldc apart) = A (m x k) @ B (k x n), A[i][p] at a + i*sam + p*sak
 * and B[p][j] at b + p*sbk + j*sbn (strides in floats, any sign).
 * Returns 1, or 0 without writing C. */
static inline int cygrad_sgemm(long m, long n, long k, const float *a, long sam, long sak,
                               const float *b, long sbk, long sbn, float *c, long ldc, int threads)
{
    if (!__builtin_cpu_supports("avx512f") || m <= 0 || n <= 0 || k <= 0)
        return 0;
    long npanels = (n + CYGRAD_NR - 1) / CYGRAD_NR;
    long mpanels = (m + CYGRAD_MR - 1) / CYGRAD_MR;
    /* Threads split C's rows when it has more rows than columns, else its
     * columns: each thread packs all of the operand the split does not cut
     * (B for a row split, A for a column split), so cut the larger one. */
    int split_rows = m > n;
    long parts = split_rows ? mpanels : npanels;
    if (threads > parts)
        threads = (int)parts;
    if (threads < 1)
        threads = 1;
    /* rows per A block: at most CYGRAD_MC, the blocks nearly equal */
    long span = split_rows ? (mpanels + threads - 1) / threads * CYGRAD_MR : m;
    long mblocks = (span + CYGRAD_MC - 1) / CYGRAD_MC;
    long mc = (span + mblocks - 1) / mblocks;
    mc = (mc + CYGRAD_MR - 1) / CYGRAD_MR * CYGRAD_MR;
    /* per thread: a block of A and a slice of B, packed */
    size_t per_thread = (size_t)(mc + CYGRAD_NC) * CYGRAD_KC;
    float *packed = (float *)aligned_alloc(64, threads * per_thread * sizeof(float));
    if (!packed)
        return 0;
    /* Each thread packs its own copies of the blocks it reads, so the
     * threads never wait for each other: a barrier costs a futex wake-up
     * each time under OMP_WAIT_POLICY=passive, more than packing twice. */
    #pragma omp parallel num_threads(threads) if(threads > 1)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
        int t = 0, nt = 1;
#endif
        float *ap = packed + t * per_thread, *bp = ap + mc * CYGRAD_KC;
        long rlo = 0, rhi = m, lo = 0, hi = n;
        if (split_rows) {
            rlo = mpanels * t / nt * CYGRAD_MR;
            rhi = mpanels * (t + 1) / nt * CYGRAD_MR;
            if (rhi > m)
                rhi = m;
        } else {
            lo = npanels * t / nt * CYGRAD_NR;
            hi = npanels * (t + 1) / nt * CYGRAD_NR;
            if (hi > n)
                hi = n;
        }
        for (long i0 = rlo; i0 < rhi; i0 += mc) {
            long rows_here = rhi - i0 < mc ? rhi - i0 : mc;
            for (long p0 = 0; p0 < k; p0 += CYGRAD_KC) {
                int kc = (int)(k - p0 < CYGRAD_KC ? k - p0 : CYGRAD_KC);
                cygrad_sgemm_pack(a + i0 * sam + p0 * sak, sam, sak, rows_here, kc, ap, CYGRAD_MR);
                for (long j0 = lo; j0 < hi; j0 += CYGRAD_NC) {
                    int ncols = (int)(hi - j0 < CYGRAD_NC ? hi - j0 : CYGRAD_NC);
                    cygrad_sgemm_pack(b + j0 * sbn + p0 * sbk, sbn, sbk, ncols, kc, bp, CYGRAD_NR);
                    for (long r0 = 0; r0 < rows_here; r0 += CYGRAD_MR) {
                        int rows = (int)(rows_here - r0 < CYGRAD_MR ? rows_here - r0 : CYGRAD_MR);
                        for (int j = 0; j < ncols; j += CYGRAD_NR) {
                            int cols = ncols - j < CYGRAD_NR ? ncols - j : CYGRAD_NR;
                            cygrad_sgemm_kernel(kc, ap + r0 * kc, bp + (size_t)j * kc,
                                                c + (i0 + r0) * ldc + j0 + j, ldc, rows, cols,
                                                p0 > 0);
                        }
                    }
                }
            }
        }
    }
    free(packed);
    return 1;
}

#else

static inline int cygrad_sgemm(long m, long n, long k, const float *a, long sam, long sak,
                               const float *b, long sbk, long sbn, float *c, long ldc, int threads)
{
    return 0;   /* numpy computes it */
}

#endif
#endif
