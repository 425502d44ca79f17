package io.liquid4j.convert.torch;

import java.util.Arrays;

/**
 * A tensor as the pickle describes it (torch._utils._rebuild_tensor_v2): a window of a storage
 * with an element offset, a shape and strides in elements. Its bytes are read only on demand.
 */
public record TensorRef(StorageRef storage, long offset, int[] shape, long[] stride) {
    public TensorRef {
        if (shape.length != stride.length) throw new PickleException("tensor has " + shape.length + " sizes but " + stride.length + " strides");
        shape = shape.clone();
        stride = stride.clone();
    }

    @Override public int[] shape() { return shape.clone(); }

    @Override public long[] stride() { return stride.clone(); }

    public long numel() {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** Whether the elements are laid out row-major without gaps. */
    public boolean isContiguous() {
        long expect = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expect) return false;
            expect *= shape[d];
        }
        return true;
    }

    /** One past the largest storage element this tensor reads (offset when empty). */
    long extent() {
        if (numel() == 0) return offset;
        long last = offset;
        for (int d = 0; d < shape.length; d++) last += (long) (shape[d] - 1) * stride[d];
        return last + 1;
    }

    @Override public String toString() {
        return storage.type().qualifiedName() + Arrays.toString(shape);
    }

    @Override public boolean equals(Object o) { return this == o; }

    @Override public int hashCode() { return System.identityHashCode(this); }
}
