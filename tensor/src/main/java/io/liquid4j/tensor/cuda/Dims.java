package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.Layout;

/**
 * The `Dims` struct of kernels/cuda/common.cuh: numel, ndim, shape[8], stride[4][8], all 64-bit.
 * Before packing, size-1 dims are dropped and neighbouring dims that are contiguous for EVERY
 * operand are merged ({@link Layout#coalesce}), so a contiguous elementwise op reaches the kernel
 * with ndim == 1.
 */
public final class Dims {
    public static final int MAX_DIMS = 8, MAX_OPS = 4;
    public static final int FIELDS = 2 + MAX_DIMS + MAX_OPS * MAX_DIMS;

    private Dims() {}

    /** Packs shape and per-operand strides (operand k = strides[k]). */
    public static long[] of(int[] shape, long[]... strides) {
        if (strides.length > MAX_OPS) throw new IllegalArgumentException("at most " + MAX_OPS + " operands");
        Layout.Coalesced c = Layout.coalesce(shape, Long.MAX_VALUE, strides);
        if (c.rank() > MAX_DIMS) throw new IllegalArgumentException("views with more than " + MAX_DIMS + " non-mergeable dims are not supported on CUDA");
        return pack(Layout.numel(shape), c.sizes(), c.strides());
    }

    /** Dims that keep every dim (no merging): for kernels that need the coordinate along one dim. */
    public static long[] exact(int[] shape, long[]... strides) {
        if (shape.length > MAX_DIMS) throw new IllegalArgumentException("at most " + MAX_DIMS + " dims on CUDA");
        long[] sizes = new long[shape.length];
        for (int d = 0; d < shape.length; d++) sizes[d] = shape[d];
        return pack(Layout.numel(shape), sizes, strides);
    }

    private static long[] pack(long numel, long[] sizes, long[][] strides) {
        long[] f = new long[FIELDS];
        f[0] = numel;
        f[1] = sizes.length;
        for (int d = 0; d < sizes.length; d++) {
            f[2 + d] = sizes[d];
            for (int k = 0; k < strides.length; k++) f[2 + MAX_DIMS + k * MAX_DIMS + d] = strides[k][d];
        }
        return f;
    }
}
