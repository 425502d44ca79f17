package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Inference convolution as one GEMM per image with an indirect B (implicit im2col):
 * out[O, P] = W[O, C·kh·kw] · X̂[C·kh·kw, P] (+ b), where row (c, i, j) of X̂ is never built.
 *
 * <p>The input is copied once, zero-padded, into sh·sw phase planes per channel: phase (a, β)
 * holds the padded pixels whose row ≡ a (mod sh) and column ≡ β (mod sw), with row pitch
 * WQ = ⌈Wp / sw⌉. Output (oy, ox) of tap (i, j) then reads phase (i mod sh, j mod sw) at
 * (oy + i / sh)·WQ + ox + j / sw: for all outputs at once that is one contiguous run starting at
 * (i / sh)·WQ + j / sw, so row (c, i, j) of X̂ is a pointer into the planes
 * ({@link Gemm#gemmIndirectB}). The GEMM computes outputs at row pitch WQ; the WQ − OW
 * columns past each output row read neighbouring pixels and are dropped when the result is
 * cropped into out. The bias rides along as one more K row: a run of ones against a column b
 * appended to W.
 *
 * <p>3×3 stride-1 convolutions with padding 1 and at least 16 input channels (every ResnetBlock
 * and Upsample convolution of the VQGAN) go to {@link CpuConvWinograd} instead.
 *
 * <p>Against im2col (a C·kh·kw × P column matrix, 1.2 GB for a 128-channel 3×3 layer at 512²)
 * the extra memory is one padded copy of x plus one output at pitch WQ; against kh·kw
 * accumulating GEMMs over shifted views (the previous stride-1 path), C is written once
 * instead of kh·kw times, and K is C·kh·kw deep instead of C.
 */
final class CpuConvForward {
    private CpuConvForward() {}

    /** out [N,O,OH,OW] = conv(x [N,C,H,W], w [O,C,kh,kw]) + b [O]; all contiguous F32, b may be null. */
    static void forward(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, Tensor out) {
        check(x, w, b, out);
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        int oh = out.size(2), ow = out.size(3);
        if (oh != CpuConv.outSize(h, kh, sh, ph) || ow != CpuConv.outSize(wd, kw, sw, pw)) {
            throw new IllegalArgumentException("conv2d: out " + out.describe() + " does not match the output size "
                    + CpuConv.outSize(h, kh, sh, ph) + "x" + CpuConv.outSize(wd, kw, sw, pw));
        }
        if (CpuConvWinograd.suits(c, kh, kw, sh, sw, ph, pw)) {
            float[] bias = CpuRowOps.weights(b, o);
            MemorySegment xs = CpuElementwise.seg(x), ws = CpuElementwise.seg(w), os = CpuElementwise.seg(out);
            CpuConvWinograd.forward(xs, x.offset() * Float.BYTES, n, c, h, wd, ws, w.offset() * Float.BYTES,
                    o, bias, os, out.offset() * Float.BYTES);
            return;
        }
        int hp = h + 2 * ph, wp = wd + 2 * pw;
        int hq = ceilDiv(hp, sh), wq = ceilDiv(wp, sw), phases = sh * sw;
        long planeLen = (long) hq * wq + (kw - 1) / sw;          // slack: junk columns of the last rows read past the plane
        long span = (long) oh * wq;                               // outputs per image at row pitch wq
        if (span > Integer.MAX_VALUE) throw new IllegalArgumentException("conv2d: output plane too large: " + span);
        int taps = kh * kw, k = c * taps + (b != null ? 1 : 0);
        boolean direct = wq == ow;                                // no junk columns: the GEMM writes out itself
        long planesBytes = (long) c * phases * planeLen * Float.BYTES;
        long bufferBytes = planesBytes + (b != null ? span * Float.BYTES : 0);
        MemorySegment weights = b != null ? NativeMemory.allocate((long) o * k * Float.BYTES) : null;
        try {
            MemorySegment xs = CpuElementwise.seg(x), ws = CpuElementwise.seg(w), os = CpuElementwise.seg(out);
            MemorySegment a = ws;
            long aOff = w.offset() * Float.BYTES;
            if (b != null) {
                appendBias(ws, aOff, CpuElementwise.seg(b), b.offset() * Float.BYTES, o, c * taps, weights);
                a = weights;
                aOff = 0;
            }
            long[] rows = new long[k];
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        long plane = (long) ch * phases + (long) (i % sh) * sw + j % sw;
                        rows[(ch * kh + i) * kw + j] = (plane * planeLen + (long) (i / sh) * wq + j / sw) * Float.BYTES;
                    }
                }
            }
            if (b != null) rows[k - 1] = planesBytes;
            MemorySegment wa = a;
            long wOff = aOff;
            // images [s, e) through one set of padded planes (and one wide output): fill, then the GEMM
            CpuThreads.RangeBody images = (s0, e0) -> {
                MemorySegment buf = NativeMemory.allocate(bufferBytes);
                MemorySegment wide = direct ? null : NativeMemory.allocate((long) o * span * Float.BYTES);
                try {
                    if (b != null) ones(buf, planesBytes, (int) span);
                    for (int img = s0; img < e0; img++) {
                        fillPhases(xs, (x.offset() + (long) img * c * h * wd) * Float.BYTES, c, h, wd, sh, sw, ph, pw, hq, wq, planeLen, buf);
                        long outOff = (out.offset() + (long) img * o * oh * ow) * Float.BYTES;
                        if (direct) {
                            Gemm.gemmIndirectB(o, (int) span, k, wa, wOff, k, false, buf, rows, DType.F32, os, outOff, (int) span, false);
                        } else {
                            Gemm.gemmIndirectB(o, (int) span, k, wa, wOff, k, false, buf, rows, DType.F32, wide, 0, (int) span, false);
                            crop(wide, o, oh, ow, wq, os, outOff);
                        }
                    }
                } finally {
                    NativeMemory.free(buf);
                    if (wide != null) NativeMemory.free(wide);
                }
            };
            // small images (the demo VQGAN's 3-channel input, strided and 1×1 convolutions at 8×8 to
            // 32×32) go whole to the threads, each with planes of its own: split inside, one image's
            // fill and GEMM were too little work for two threads (prepare's conv_in ran at 8 GFLOP/s,
            // BENCHMARKS.md "Where a training step goes, op by op"). Each image is computed as before,
            // so the bits do not change.
            if (CpuMatmul.wholeProductsPerThread(n, (long) o * span * k)) CpuThreads.parallelFor(n, 1, images);
            else images.run(0, n);
        } finally {
            if (weights != null) NativeMemory.free(weights);
        }
    }

    /**
     * out [N,O,H·scale,W·scale] = conv3x3(upsample(x, scale), w) + b by Winograd, reading x in place
     * of the upsampled image; false (nothing done) where {@link CpuConvWinograd} does not apply.
     */
    static boolean upsampled(Tensor x, int scale, Tensor w, Tensor b, int ph, int pw, Tensor out) {
        check(x, w, b, out);
        int n = x.size(0), c = x.size(1), h = x.size(2) * scale, wd = x.size(3) * scale, o = w.size(0);
        if (scale != 2 || !CpuConvWinograd.suits(c, w.size(2), w.size(3), 1, 1, ph, pw)) return false;
        if (out.size(2) != h || out.size(3) != wd) {
            throw new IllegalArgumentException("conv2d of the upsampled input: out " + out.describe() + " is not " + h + "x" + wd);
        }
        float[] bias = CpuRowOps.weights(b, o);
        MemorySegment xs = CpuElementwise.seg(x), ws = CpuElementwise.seg(w), os = CpuElementwise.seg(out);
        CpuConvWinograd.forwardUpsampled(xs, x.offset() * Float.BYTES, n, c, h, wd, scale,
                ws, w.offset() * Float.BYTES, o, bias, os, out.offset() * Float.BYTES);
        return true;
    }

    /**
     * Copies one image into its zero-padded phase planes (channel ch, phase (a, β) at
     * ((ch·sh + a)·sw + β)·planeLen), one channel per task. Stride 1 copies whole rows; larger
     * strides deal each row's pixels out to the sw column phases.
     */
    private static void fillPhases(MemorySegment xs, long xOff, int c, int h, int wd, int sh, int sw, int ph, int pw,
                                   int hq, int wq, long planeLen, MemorySegment buf) {
        int phases = sh * sw;
        CpuThreads.parallelFor(c, 1, (start, end) -> {
            float[] row = new float[wd];
            float[][] dealt = new float[sw][wq];
            for (int ch = start; ch < end; ch++) {
                long chBase = (long) ch * phases * planeLen * Float.BYTES;
                buf.asSlice(chBase, phases * planeLen * Float.BYTES).fill((byte) 0);
                for (int iy = 0; iy < h; iy++) {
                    int r = iy + ph, a = r % sh, rq = r / sh;
                    long src = xOff + ((long) ch * h + iy) * wd * Float.BYTES;
                    if (sw == 1) {
                        long dst = chBase + ((long) a * planeLen + (long) rq * wq + pw) * Float.BYTES;
                        MemorySegment.copy(xs, src, buf, dst, (long) wd * Float.BYTES);
                        continue;
                    }
                    MemorySegment.copy(xs, Access.F, src, row, 0, wd);
                    for (int ix = 0; ix < wd; ix++) {
                        int col = ix + pw;
                        dealt[col % sw][col / sw] = row[ix];
                    }
                    for (int beta = 0; beta < sw; beta++) {
                        // columns of this phase that hold pixels of the row (the rest stay zero)
                        int first = ceilDiv(Math.max(0, pw - beta), sw), last = (wd - 1 + pw - beta) / sw;
                        if (last < first) continue;
                        long dst = chBase + ((long) (a * sw + beta) * planeLen + (long) rq * wq + first) * Float.BYTES;
                        MemorySegment.copy(dealt[beta], first, buf, Access.F, dst, last - first + 1);
                    }
                }
            }
        });
    }

    /** weights[o, 0..kc) = w[o, :], weights[o, kc] = b[o]: the bias as one more K column. */
    private static void appendBias(MemorySegment ws, long wOff, MemorySegment bs, long bOff, int o, int kc, MemorySegment weights) {
        for (int r = 0; r < o; r++) {
            MemorySegment.copy(ws, wOff + (long) r * kc * Float.BYTES, weights, (long) r * (kc + 1) * Float.BYTES, (long) kc * Float.BYTES);
            weights.set(Access.F, ((long) r * (kc + 1) + kc) * Float.BYTES, bs.get(Access.F, bOff + (long) r * Float.BYTES));
        }
    }

    private static void ones(MemorySegment buf, long off, int count) {
        float[] one = new float[count];
        Arrays.fill(one, 1f);
        MemorySegment.copy(one, 0, buf, Access.F, off, count);
    }

    /** out[o, oy, 0..ow) = wide[o, oy·wq ..+ow), dropping the junk columns. */
    private static void crop(MemorySegment wide, int o, int oh, int ow, int wq, MemorySegment os, long outOff) {
        CpuThreads.parallelFor(o, 1, (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int oy = 0; oy < oh; oy++) {
                    MemorySegment.copy(wide, ((long) r * oh * wq + (long) oy * wq) * Float.BYTES,
                            os, outOff + ((long) r * oh * ow + (long) oy * ow) * Float.BYTES, (long) ow * Float.BYTES);
                }
            }
        });
    }

    private static void check(Tensor x, Tensor w, Tensor b, Tensor out) {
        for (Tensor t : new Tensor[] {x, w, b, out}) {
            if (t != null && (t.dtype() != DType.F32 || !t.isContiguous())) {
                throw new IllegalArgumentException("conv2d forward needs contiguous F32 tensors, got " + t.describe());
            }
        }
        if (x.dim() != 4 || w.dim() != 4 || out.dim() != 4 || x.size(1) != w.size(1) || out.size(0) != x.size(0)
                || out.size(1) != w.size(0) || (b != null && b.numel() != w.size(0))) {
            throw new IllegalArgumentException("conv2d forward: x " + x.describe() + ", w " + w.describe()
                    + (b != null ? ", b " + b.describe() : "") + ", out " + out.describe() + " do not fit together");
        }
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
