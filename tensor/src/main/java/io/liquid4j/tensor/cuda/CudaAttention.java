package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;

/**
 * Launchers of the attention kernels (kernels/cuda/attention.cu) behind
 * {@link CudaBackend#attention} and {@link CudaBackend#attentionBackward}:
 * <ul>
 *   <li>BF16/F16 q, k, v with D = Dv ∈ {64, 128, 256} and 16-byte aligned rows: the tensor-core
 *       flash kernels, forward and backward;</li>
 *   <li>other forwards with D, Dv ≤ 256 and one dtype (F32, odd head dims, decoding): the split
 *       kernel, with key splits (flash-decoding) when there are too few query rows to fill the GPU;</li>
 *   <li>anything else returns false and the backend runs the composed reference.</li>
 * </ul>
 * The spec's per-row arrays (key ranges, segment ids) are copied to the device when they change
 * (once per forward pass, not per layer).
 */
final class CudaAttention {
    private final CudaBackend be;

    CudaAttention(CudaBackend be) { this.be = be; }

    /** Forward, or false when no kernel applies. */
    boolean forward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse) {
        Shape s = Shape.of(q, k, v);
        if (s.batch == 0 || s.hq == 0 || s.lq == 0) return true;
        String mma = mmaEligible(q, k, v, s) ? AttentionPlan.mmaSuffix(q.dtype(), s.d) : null;
        boolean split = q.dtype() == k.dtype() && q.dtype() == v.dtype()
                && s.d <= AttentionPlan.SPLIT_MAX_DIM && s.dv <= AttentionPlan.SPLIT_MAX_DIM;
        if (mma == null && !split) return false;
        // the split items of a 16-bit tensor-core shape go to the vectorised decode kernel
        String splitKernel = mma != null ? "l4j_attn_decode_" + mma : "l4j_attn_fwd_split";
        if (split && AttentionPlan.preferSplit(s.lq)) mma = null;
        try (TensorScope _ = TensorScope.open()) {
            long[] a = args(q, k, v, spec, out, lse, s);
            if (mma != null) {
                String name = "l4j_attn_fwd_mma_" + mma;
                int smem = AttentionPlan.fwdSharedBytes(s.d);
                be.kernels.allowSharedMemory(name, smem);
                be.launch(name, AttentionPlan.fwdBlocks(s.batch, s.hq, s.lq), AttentionPlan.THREADS, smem, x -> x.struct(a));
                return true;
            }
            long rows = (long) s.batch * s.hq * s.lq;
            int splits = AttentionPlan.splits(rows, s.lk, be.sms);
            a[Field.SPLITS] = splits;
            long partBytes = splits > 1 ? rows * splits * (s.dv + 2L) * 4 : 0;
            long part = partBytes > 0 ? be.scratch(partBytes) : 0;
            a[Field.PART] = part;
            be.launch(splitKernel, AttentionPlan.warpBlocks(rows * splits), AttentionPlan.THREADS, 0, x -> x.struct(a));
            if (splits > 1) {
                be.launch("l4j_attn_combine", AttentionPlan.warpBlocks(rows), AttentionPlan.THREADS, 0, x -> x.struct(a));
                be.release(part, partBytes);
            }
            return true;
        }
    }

    /** Backward, or false when no kernel applies (only the tensor-core shapes have one). */
    boolean backward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse,
                     Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        Shape s = Shape.of(q, k, v);
        String mma = mmaEligible(q, k, v, s) ? AttentionPlan.mmaSuffix(q.dtype(), s.d) : null;
        if (mma == null || !f32Contiguous(out, lse, gOut, gq, gk, gv)) return false;
        long rows = (long) s.batch * s.hq * s.lq;
        if (gk.numel() == 0) return true;
        try (TensorScope _ = TensorScope.open()) {
            be.drv.memsetAsync(CudaBackend.ptr(gq), 0, gq.numel() * 4, be.stream);
            long[] a = args(q, k, v, spec, out, lse, s);
            long delta = rows > 0 ? be.scratch(rows * 4) : 0;
            if (rows > 0) {
                be.launch("l4j_attn_bwd_delta", AttentionPlan.warpBlocks(rows), AttentionPlan.THREADS, 0,
                        x -> x.ptr(CudaBackend.ptr(gOut)).ptr(CudaBackend.ptr(out)).ptr(delta).i64(rows).i32(s.dv));
            }
            a[Field.GOUT] = CudaBackend.ptr(gOut);
            a[Field.GQ] = CudaBackend.ptr(gq);
            a[Field.GK] = CudaBackend.ptr(gk);
            a[Field.GV] = CudaBackend.ptr(gv);
            a[Field.DELTA] = delta;
            String name = "l4j_attn_bwd_mma_" + mma;
            int smem = AttentionPlan.bwdSharedBytes(s.d);
            be.kernels.allowSharedMemory(name, smem);
            be.launch(name, AttentionPlan.bwdBlocks(s.batch, s.hkv, s.lk, s.d), AttentionPlan.THREADS, smem, x -> x.struct(a));
            if (delta != 0) be.release(delta, rows * 4);
            return true;
        }
    }

    private record Shape(int batch, int hq, int hkv, int lq, int lk, int d, int dv) {
        static Shape of(Tensor q, Tensor k, Tensor v) {
            return new Shape(q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3), v.size(3));
        }
    }

    /** Tensor-core kernels read rows as 16-byte vectors: unit last stride, 8-element-aligned strides and base. */
    private static boolean mmaEligible(Tensor q, Tensor k, Tensor v, Shape s) {
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype() || s.d != s.dv) return false;
        for (Tensor t : new Tensor[] {q, k, v}) {
            if (t.stride(3) != 1 || (CudaBackend.ptr(t) & 15) != 0) return false;
            for (int i = 0; i < 3; i++) if (t.size(i) > 1 && t.stride(i) % 8 != 0) return false;
        }
        return true;
    }

    private static boolean f32Contiguous(Tensor... ts) {
        for (Tensor t : ts) if (t.dtype() != DType.F32 || !t.isContiguous()) return false;
        return true;
    }

    /** Field indices of the kernels' AttnArgs struct (all 64-bit, in declaration order). */
    static final class Field {
        static final int Q = 0, K = 1, V = 2, OUT = 3, LSE = 4, QS = 5, KS = 8, VS = 11, BATCH = 14, HQ = 15, HKV = 16,
                LQ = 17, LK = 18, DIM = 19, DIMV = 20, OFFSET = 21, CAUSAL = 22, WINDOW = 23, KEY_START = 24, KEY_END = 25,
                SEG = 26, SCALE = 27, SOFTCAP = 28, DTYPE = 29, SPLITS = 30, PART = 31, GOUT = 32, GQ = 33, GK = 34, GV = 35,
                DELTA = 36, COUNT = 37;

        private Field() {}
    }

    /** The AttnArgs struct (the spec's per-row arrays on the device through the DeviceInts caches). */
    private long[] args(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse, Shape s) {
        long[] a = new long[Field.COUNT];
        a[Field.Q] = CudaBackend.ptr(q);
        a[Field.K] = CudaBackend.ptr(k);
        a[Field.V] = CudaBackend.ptr(v);
        a[Field.OUT] = CudaBackend.ptr(out);
        a[Field.LSE] = CudaBackend.ptr(lse);
        Tensor[] ops = {q, k, v};
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 3; i++) a[Field.QS + 3 * o + i] = ops[o].stride(i);
        }
        a[Field.BATCH] = s.batch;
        a[Field.HQ] = s.hq;
        a[Field.HKV] = s.hkv;
        a[Field.LQ] = s.lq;
        a[Field.LK] = s.lk;
        a[Field.DIM] = s.d;
        a[Field.DIMV] = s.dv;
        a[Field.OFFSET] = spec.queryOffset(s.lq, s.lk);
        a[Field.CAUSAL] = spec.causal() ? 1 : 0;
        a[Field.WINDOW] = spec.window();
        if (spec.keyStart() != null) {
            a[Field.KEY_START] = keyStarts.upload(spec.keyStart());
            a[Field.KEY_END] = keyEnds.upload(spec.keyEnd());
        }
        if (spec.segments() != null) {
            int[] flat = new int[s.batch * s.lk];
            for (int b = 0; b < s.batch; b++) System.arraycopy(spec.segments()[b], 0, flat, b * s.lk, s.lk);
            a[Field.SEG] = segments.upload(flat);
        }
        a[Field.SCALE] = Double.doubleToRawLongBits(spec.scale());
        a[Field.SOFTCAP] = Double.doubleToRawLongBits(spec.softcap());
        a[Field.DTYPE] = CudaBackend.dt(q);
        a[Field.SPLITS] = 1;
        return a;
    }

    /**
     * A device copy of the last int array of one kind (key starts, key ends, segment ids). Every
     * layer of a forward pass (and the backward) passes the same values: they cross to the device
     * once, not once per layer. Replaced when the values change; the old allocation is freed in
     * stream order, after the kernels that read it.
     */
    private final class DeviceInts {
        private int[] host;
        private Tensor device;

        long upload(int[] values) {
            if (device == null || !java.util.Arrays.equals(host, values)) {
                if (device != null) device.close();
                host = values.clone();
                device = Tensor.fromArray(values, values.length).to(be.device()).unscoped();
            }
            return CudaBackend.ptr(device);
        }
    }

    private final DeviceInts keyStarts = new DeviceInts(), keyEnds = new DeviceInts(), segments = new DeviceInts();
}
