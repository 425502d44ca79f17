package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The CPU reference of the attention kernels' algorithm (kernels/cuda/attention.cu), run without
 * a GPU: the same blocks, tile loops and tile-skipping bounds (key range of a query tile in the
 * forward, query range of a key tile in the backward), the log2-domain online softmax with its
 * −∞ conventions, the backward from the saved lse and delta, and the split kernel's partition and
 * combine — in scalar Java, held to {@link F#attention} (and its autograd) on the CPU for random
 * specs with every feature. The kernels' register fragments are what this cannot check: the GPU
 * parity test does ({@code CudaOpsParityTest.flashAttentionKernels}).
 */
class FlashAlgorithmTest {
    static final double LOG2E = 1.4426950408889634, LN2 = 0.6931471805599453;

    /** Dense operands: q [B][Hq][Lq][D], k/v [B][Hkv][Lk][D] as flat arrays. */
    record Problem(int b, int hq, int hkv, int lq, int lk, int d, float[] q, float[] k, float[] v, float[] gOut, AttentionSpec spec) {
        int off() { return spec.queryOffset(lq, lk); }
        float qv(int bb, int h, int i, int e) { return q[((bb * hq + h) * lq + i) * d + e]; }
        float kv(int bb, int h, int j, int e) { return k[((bb * hkv + h) * lk + j) * d + e]; }
        float vv(int bb, int h, int j, int e) { return v[((bb * hkv + h) * lk + j) * d + e]; }
        boolean vis(int bb, long qi, long j) { return qi < lq && j < lk && spec.visible(bb, (int) (off() + qi), (int) j, lk); }
        /** Capped score and tanh (for the backward) of query (bb, h, qi) and key j. */
        double[] score(int bb, int h, int qi, int j) {
            double s = 0;
            for (int e = 0; e < d; e++) s += qv(bb, h, qi, e) * kv(bb, h / (hq / hkv), j, e);
            s *= spec.scale();
            if (spec.softcap() <= 0) return new double[] {s, 0};
            double t = Math.tanh(s / spec.softcap());
            return new double[] {spec.softcap() * t, t};
        }
    }

    /** l4j_attn_fwd_mma: block (b, h, query tile of br), key tiles of bc from keyLo(first) to keyHi(last). */
    static void forward(Problem p, int br, int bc, double[] out, double[] lse) {
        for (int bb = 0; bb < p.b; bb++) for (int h = 0; h < p.hq; h++) for (int q0 = 0; q0 < p.lq; q0 += br) {
            int qvalid = Math.min(br, p.lq - q0);
            long kLo = Math.max(0, p.spec.keyLo(bb, p.off() + q0)), kHi = p.spec.keyHi(bb, p.off() + q0 + qvalid - 1, p.lk);
            for (int r = 0; r < qvalid; r++) {
                int qi = q0 + r;
                double m = Double.NEGATIVE_INFINITY, l = 0;
                double[] o = new double[p.d];
                for (long j0 = kLo; j0 < kHi; j0 += bc) {
                    double[] x = new double[bc];
                    double mt = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < bc; c++) {
                        long j = j0 + c;
                        x[c] = p.vis(bb, qi, j) ? p.score(bb, h, qi, (int) j)[0] * LOG2E : Double.NEGATIVE_INFINITY;
                        mt = Math.max(mt, x[c]);
                    }
                    double mn = Math.max(m, mt);
                    double al = mn == Double.NEGATIVE_INFINITY ? 1 : Math.pow(2, m - mn), ms = mn == Double.NEGATIVE_INFINITY ? 0 : mn;
                    m = mn;
                    l *= al;
                    for (int e = 0; e < p.d; e++) o[e] *= al;
                    for (int c = 0; c < bc; c++) {
                        double pc = Math.pow(2, x[c] - ms);
                        l += pc;
                        if (pc != 0) for (int e = 0; e < p.d; e++) o[e] += pc * p.vv(bb, h / (p.hq / p.hkv), (int) (j0 + c), e);
                    }
                }
                int row = (bb * p.hq + h) * p.lq + qi;
                for (int e = 0; e < p.d; e++) out[row * p.d + e] = l > 0 ? o[e] / l : 0;
                lse[row] = l > 0 ? (m + Math.log(l) / Math.log(2)) * LN2 : Double.NEGATIVE_INFINITY;
            }
        }
    }

    /** l4j_attn_fwd_split + l4j_attn_combine: the visible range [keyLo, keyHi) of each query cut into `splits` chunks. */
    static void forwardSplit(Problem p, int splits, double[] out, double[] lse) {
        for (int bb = 0; bb < p.b; bb++) for (int h = 0; h < p.hq; h++) for (int qi = 0; qi < p.lq; qi++) {
            int pos = p.off() + qi;
            long lo = Math.max(0, p.spec.keyLo(bb, pos)), hi = p.spec.keyHi(bb, pos, p.lk);
            long span = Math.max(0, hi - lo), chunk = (span + splits - 1) / splits;
            double[] pm = new double[splits], pl = new double[splits];
            double[][] po = new double[splits][p.d];
            for (int s = 0; s < splits; s++) {
                long js = lo + s * chunk, je = Math.min(hi, js + chunk);
                double m = Double.NEGATIVE_INFINITY, l = 0;
                for (long j = js; j < je; j++) {
                    if (!p.vis(bb, qi, j)) continue;
                    double x = p.score(bb, h, qi, (int) j)[0] * LOG2E, mn = Math.max(m, x), al = Math.pow(2, m - mn), pu = Math.pow(2, x - mn);
                    l = l * al + pu;
                    for (int e = 0; e < p.d; e++) po[s][e] = po[s][e] * al + pu * p.vv(bb, h / (p.hq / p.hkv), (int) j, e);
                    m = mn;
                }
                pm[s] = m;
                pl[s] = l;
            }
            double mx = Double.NEGATIVE_INFINITY, lt = 0;
            for (double m : pm) mx = Math.max(mx, m);
            int row = (bb * p.hq + h) * p.lq + qi;
            for (int s = 0; s < splits && mx != Double.NEGATIVE_INFINITY; s++) lt += pl[s] * Math.pow(2, pm[s] - mx);
            for (int e = 0; e < p.d; e++) {
                double acc = 0;
                for (int s = 0; s < splits && mx != Double.NEGATIVE_INFINITY; s++) acc += po[s][e] * Math.pow(2, pm[s] - mx);
                out[row * p.d + e] = lt > 0 ? acc / lt : 0;
            }
            lse[row] = lt > 0 ? (mx + Math.log(lt) / Math.log(2)) * LN2 : Double.NEGATIVE_INFINITY;
        }
    }

    /** l4j_attn_bwd_mma: block (b, kv head, key tile of bc); query heads of the group × query tiles of br from qLo to qHi. */
    static void backward(Problem p, int br, int bc, double[] out, double[] lse, double[] gq, double[] gk, double[] gv) {
        int g = p.hq / p.hkv, off = p.off();
        for (int bb = 0; bb < p.b; bb++) for (int hk = 0; hk < p.hkv; hk++) for (int j0 = 0; j0 < p.lk; j0 += bc) {
            int kvalid = Math.min(bc, p.lk - j0);
            long qLo = p.spec.causal() ? Math.max(0, j0 - off) : 0;
            long qHi = p.spec.window() > 0 ? Math.min(p.lq, (long) j0 + kvalid - 1 + p.spec.window() - off) : p.lq;
            if (p.spec.keyStart() != null && (j0 + kvalid <= p.spec.keyStart()[bb] || j0 >= p.spec.keyEnd()[bb])) qHi = qLo;
            qLo = qLo / br * br;
            for (int hh = 0; hh < g; hh++) {
                int h = hk * g + hh;
                for (long q0 = qLo; q0 < qHi; q0 += br) {
                    for (int r = 0; r < br; r++) {
                        long qi = q0 + r;
                        if (qi >= p.lq) continue;
                        int row = (bb * p.hq + h) * p.lq + (int) qi;
                        double delta = 0;
                        for (int e = 0; e < p.d; e++) delta += p.gOut[row * p.d + e] * out[row * p.d + e];
                        for (int c = 0; c < kvalid; c++) {
                            int j = j0 + c;
                            if (lse[row] == Double.NEGATIVE_INFINITY || !p.vis(bb, qi, j)) continue;
                            double[] st = p.score(bb, h, (int) qi, j);
                            double pr = Math.pow(2, st[0] * LOG2E - lse[row] * LOG2E);
                            double dp = 0;
                            for (int e = 0; e < p.d; e++) dp += p.gOut[row * p.d + e] * p.vv(bb, hk, j, e);
                            double ds = pr * (dp - delta);
                            if (p.spec.softcap() > 0) ds *= 1 - st[1] * st[1];
                            ds *= p.spec.scale();
                            int krow = (bb * p.hkv + hk) * p.lk + j;
                            for (int e = 0; e < p.d; e++) {
                                gv[krow * p.d + e] += pr * p.gOut[row * p.d + e];
                                gk[krow * p.d + e] += ds * p.qv(bb, h, (int) qi, e);
                                gq[row * p.d + e] += ds * p.kv(bb, hk, j, e);
                            }
                        }
                    }
                }
            }
        }
    }

    static Problem random(Random r, int variant) {
        int b = 2, hkv = 1 + r.nextInt(2), hq = hkv * (1 + r.nextInt(2)), d = 8, lk = 20 + r.nextInt(60);
        int lq = variant % 3 == 0 ? 1 + r.nextInt(3) : Math.max(1, lk - r.nextInt(Math.max(1, lk / 2)));
        AttentionSpec spec = r.nextBoolean() || variant % 3 == 0 ? AttentionSpec.causal(0.4) : AttentionSpec.full(0.4);
        if (spec.causal() && r.nextInt(3) == 0) spec = spec.withWindow(1 + r.nextInt(20));
        if (r.nextBoolean()) spec = spec.withSoftcap(0.5 + r.nextDouble());
        if (r.nextInt(3) == 0) spec = spec.withKeyRanges(new int[] {r.nextInt(10), 0}, new int[] {lk, lk - r.nextInt(5)});
        if (r.nextInt(3) == 0) {
            int[][] seg = new int[b][lk];
            for (int bb = 0; bb < b; bb++) for (int j = 1; j < lk; j++) seg[bb][j] = seg[bb][j - 1] + (r.nextInt(12) == 0 ? 1 : 0);
            spec = spec.withSegments(seg);
        }
        if (variant % 3 == 1 && spec.causal() && lk > lq) spec = spec.withQueryOffset(r.nextInt(lk - lq + 1));
        return new Problem(b, hq, hkv, lq, lk, d, gauss(r, b * hq * lq * d), gauss(r, b * hkv * lk * d), gauss(r, b * hkv * lk * d),
                gauss(r, b * hq * lq * d), spec);
    }

    static float[] gauss(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void tiledKernelsAgreeWithTheOpOnRandomSpecs() {
        Random r = new Random(7);
        for (int t = 0; t < 60; t++) {
            Problem p = random(r, t);
            try (TensorScope _ = TensorScope.open()) {
                Tensor q = Tensor.fromArray(p.q, p.b, p.hq, p.lq, p.d).requiresGrad(true);
                Tensor k = Tensor.fromArray(p.k, p.b, p.hkv, p.lk, p.d).requiresGrad(true);
                Tensor v = Tensor.fromArray(p.v, p.b, p.hkv, p.lk, p.d).requiresGrad(true);
                Tensor o = F.attention(q, k, v, p.spec);
                o.mul(Tensor.fromArray(p.gOut, o.shape())).sum().backward();
                float[] want = o.toFloatArray();
                String at = "case " + t + " " + p.spec + " lq " + p.lq + " lk " + p.lk + " hq " + p.hq + " hkv " + p.hkv;

                int rows = p.b * p.hq * p.lq;
                double[] out = new double[rows * p.d], lse = new double[rows];
                int bc = t % 2 == 0 ? 16 : 7, br = t % 2 == 0 ? 16 : 5;   // odd tiles stress the bounds
                forward(p, br, bc, out, lse);
                close(want, out, at + " forward");
                double[] outS = new double[rows * p.d], lseS = new double[rows];
                forwardSplit(p, 1 + t % 5, outS, lseS);
                close(want, outS, at + " split forward");
                for (int i = 0; i < rows; i++) {
                    assertTrue(lse[i] == lseS[i] || Math.abs(lse[i] - lseS[i]) < 1e-9, at + " lse of row " + i + ": " + lse[i] + " vs " + lseS[i]);
                }
                double[] gq = new double[rows * p.d], gk = new double[p.b * p.hkv * p.lk * p.d], gv = new double[gk.length];
                backward(p, br, bc, out, lse, gq, gk, gv);
                close(q.grad().toFloatArray(), gq, at + " dq");
                close(k.grad().toFloatArray(), gk, at + " dk");
                close(v.grad().toFloatArray(), gv, at + " dv");
            }
        }
    }

    static void close(float[] want, double[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= 2e-4 * (1 + Math.abs(want[i])), what + " [" + i + "]: want " + want[i] + ", got " + got[i]);
        }
    }
}
