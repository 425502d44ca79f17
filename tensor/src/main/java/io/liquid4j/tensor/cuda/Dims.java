package io.liquid4j.tensor.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The `Dims` struct of kernels/cuda/common.cuh: numel, ndim, shape[8], stride[4][8], all 64-bit.
 * Before packing, size-1 dims are dropped and neighbouring dims that are contiguous for EVERY
 * operand are merged, so a contiguous elementwise op reaches the kernel with ndim == 1.
 */
public final class Dims {
    public static final int MAX_DIMS = 8, MAX_OPS = 4;
    public static final int FIELDS = 2 + MAX_DIMS + MAX_OPS * MAX_DIMS;

    private Dims() {}

    /** Packs shape and per-operand strides (operand k = strides[k]). */
    public static long[] of(int[] shape, long[]... strides) {
        if (strides.length > MAX_OPS) throw new IllegalArgumentException("at most " + MAX_OPS + " operands");
        List<Long> sh = new ArrayList<>();
        List<long[]> st = new ArrayList<>();
        long numel = 1;
        for (int d = 0; d < shape.length; d++) {
            numel *= shape[d];
            if (shape[d] == 1) continue;
            long[] s = new long[strides.length];
            for (int k = 0; k < strides.length; k++) s[k] = strides[k][d];
            int last = sh.size() - 1;
            if (last >= 0 && mergeable(sh.get(last), st.get(last), shape[d], s)) {
                sh.set(last, sh.get(last) * shape[d]);
                st.set(last, s);
            } else {
                sh.add((long) shape[d]);
                st.add(s);
            }
        }
        if (sh.size() > MAX_DIMS) throw new IllegalArgumentException("views with more than " + MAX_DIMS + " non-mergeable dims are not supported on CUDA");
        long[] f = new long[FIELDS];
        f[0] = numel;
        f[1] = sh.size();
        for (int d = 0; d < sh.size(); d++) {
            f[2 + d] = sh.get(d);
            for (int k = 0; k < strides.length; k++) f[2 + MAX_DIMS + k * MAX_DIMS + d] = st.get(d)[k];
        }
        return f;
    }

    /** Outer dim (size so, strides sOuter) merges with inner dim (size n, strides sInner) when sOuter = sInner·n for all. */
    private static boolean mergeable(long outerSize, long[] sOuter, int n, long[] sInner) {
        for (int k = 0; k < sOuter.length; k++) if (sOuter[k] != sInner[k] * n) return false;
        return true;
    }

    /** Dims that keep every dim (no merging): for kernels that need the coordinate along one dim. */
    public static long[] exact(int[] shape, long[]... strides) {
        if (shape.length > MAX_DIMS) throw new IllegalArgumentException("at most " + MAX_DIMS + " dims on CUDA");
        long[] f = new long[FIELDS];
        long numel = 1;
        for (int s : shape) numel *= s;
        f[0] = numel;
        f[1] = shape.length;
        for (int d = 0; d < shape.length; d++) {
            f[2 + d] = shape[d];
            for (int k = 0; k < strides.length; k++) f[2 + MAX_DIMS + k * MAX_DIMS + d] = strides[k][d];
        }
        return f;
    }
}
