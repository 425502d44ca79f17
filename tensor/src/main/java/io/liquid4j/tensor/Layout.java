package io.liquid4j.tensor;

import java.util.Arrays;

/**
 * Where the elements of an n-dimensional view lie in its storage: shape, strides and offset, all
 * in elements. Every piece of shape/stride arithmetic lives here — views, broadcasting, merging
 * dims for kernels, GEMM operand layouts — so the tensor, the CPU loops and the CUDA launch code
 * all agree on it. Immutable: each operation returns a new Layout (or this one when nothing
 * changes).
 *
 * <p>Not API: public only for the backend packages ({@code tensor.cpu}, {@code tensor.cuda});
 * applications use {@link Tensor} and {@link F}, and this may change in any version.
 */
public final class Layout {
    private final int[] shape;
    private final long[] strides;
    private final long offset;

    /** Takes ownership of the arrays. */
    private Layout(int[] shape, long[] strides, long offset) {
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /** Row-major layout of shape at offset 0; sizes must be non-negative and numel fit a long. */
    public static Layout contiguous(int... shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, (long) s);
        }
        return new Layout(shape.clone(), contiguousStrides(shape), 0);
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    public static long[] contiguousStrides(int[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }

    // =====================================================================================
    // properties
    // =====================================================================================

    public int rank() { return shape.length; }

    public int[] shape() { return shape.clone(); }

    /** Size of dim d (negative d counts from the end). */
    public int size(int d) { return shape[normDim(d, shape.length)]; }

    public long[] strides() { return strides.clone(); }

    public long stride(int d) { return strides[normDim(d, shape.length)]; }

    public long offset() { return offset; }

    public long numel() { return numel(shape); }

    /** Row-major with no gaps; the strides of size-1 dims do not matter (no index ever moves along them). */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    @Override public String toString() {
        return Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " offset " + offset;
    }

    // =====================================================================================
    // views
    // =====================================================================================

    /**
     * The same elements in newShape (fully specified, same numel) without copying, or null when
     * no strides can address them in that shape and the caller must copy.
     */
    public Layout view(int... newShape) {
        if (numel(newShape) != numel()) {
            throw new IllegalArgumentException("cannot view " + numel() + " elements as " + Arrays.toString(newShape));
        }
        if (isContiguous()) return new Layout(newShape.clone(), contiguousStrides(newShape), offset);
        // general rule: group old dims into chunks that are internally contiguous
        long[] out = new long[newShape.length];
        int oi = 0, ni = 0;
        int on = shape.length, nn = newShape.length;
        while (oi < on || ni < nn) {
            // skip size-1 dims on both sides
            if (ni < nn && newShape[ni] == 1) { out[ni++] = 1; continue; }
            if (oi < on && shape[oi] == 1) { oi++; continue; }
            if (oi >= on || ni >= nn) return null;
            long oldProd = shape[oi], newProd = newShape[ni];
            int nStart = ni;
            int last = oi;      // innermost old dim of size > 1 in this chunk (size-1 dims have arbitrary strides)
            while (oldProd != newProd) {
                if (oldProd < newProd) {
                    oi++;
                    if (oi >= on) return null;
                    if (shape[oi] == 1) continue;
                    if (strides[last] != strides[oi] * shape[oi]) return null;
                    last = oi;
                    oldProd *= shape[oi];
                } else {
                    ni++;
                    if (ni >= nn) return null;
                    newProd *= newShape[ni];
                }
            }
            // the old dims of this chunk are one contiguous run with innermost stride strides[last]
            long st = strides[last];
            for (int k = ni; k >= nStart; k--) {
                out[k] = st;
                st *= newShape[k];
            }
            oi++;
            ni++;
        }
        return new Layout(newShape.clone(), out, offset);
    }

    public Layout permute(int... dims) {
        if (dims.length != rank()) throw new IllegalArgumentException("permute needs " + rank() + " dims, got " + Arrays.toString(dims));
        int[] ns = new int[dims.length];
        long[] nst = new long[dims.length];
        boolean[] used = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = normDim(dims[i], rank());
            if (used[d]) throw new IllegalArgumentException("permute repeats dim " + d + ": " + Arrays.toString(dims));
            used[d] = true;
            ns[i] = shape[d];
            nst[i] = strides[d];
        }
        return new Layout(ns, nst, offset);
    }

    public Layout transpose(int a, int b) {
        int x = normDim(a, rank()), y = normDim(b, rank());
        int[] ns = shape.clone();
        long[] nst = strides.clone();
        ns[x] = shape[y];
        ns[y] = shape[x];
        nst[x] = strides[y];
        nst[y] = strides[x];
        return new Layout(ns, nst, offset);
    }

    /** Elements start..start+length-1 of dim. */
    public Layout narrow(int dim, int start, int length) {
        return slice(dim, start, start + length, 1);
    }

    /** Python-style slice [start:end:step] of dim (step > 0; negative start/end count from the end). */
    public Layout slice(int dim, int start, int end, int step) {
        int d = normDim(dim, rank());
        int n = shape[d];
        if (step <= 0) throw new IllegalArgumentException("slice step must be > 0, got " + step);
        int s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
        if (s < 0 || e > n || s > e) {
            throw new IndexOutOfBoundsException("slice [" + start + ":" + end + "] out of range for dim " + d + " of size " + n);
        }
        int[] ns = shape.clone();
        ns[d] = (e - s + step - 1) / step;
        long[] nst = strides.clone();
        nst[d] = strides[d] * step;
        return new Layout(ns, nst, offset + (long) s * strides[d]);
    }

    /** Removes dim by taking index (negative counts from the end) of it. */
    public Layout select(int dim, int index) {
        int d = normDim(dim, rank());
        int i = index < 0 ? index + shape[d] : index;
        return narrow(d, i, 1).squeeze(d);
    }

    /** Inserts a size-1 dim at position dim (0..rank; negative counts from the end). */
    public Layout unsqueeze(int dim) {
        int d = normDim(dim, rank() + 1);
        int[] ns = new int[rank() + 1];
        for (int i = 0, k = 0; i < ns.length; i++) ns[i] = i == d ? 1 : shape[k++];
        return view(ns);     // adding a size-1 dim never needs a copy
    }

    /** Removes dim, which must have size 1. */
    public Layout squeeze(int dim) {
        int d = normDim(dim, rank());
        if (shape[d] != 1) throw new IllegalArgumentException("squeeze(" + dim + ") of a dim of size " + shape[d]);
        int[] ns = new int[rank() - 1];
        for (int i = 0, k = 0; i < shape.length; i++) if (i != d) ns[k++] = shape[i];
        return view(ns);     // removing a size-1 dim never needs a copy
    }

    /**
     * Broadcasts size-1 dims (and new leading dims) to newShape with stride 0; -1 keeps an
     * existing size. Returns this when nothing changes.
     */
    public Layout expand(int... newShape) {
        if (newShape.length < rank()) {
            throw new IllegalArgumentException("cannot expand shape " + Arrays.toString(shape) + " to fewer dims " + Arrays.toString(newShape));
        }
        int lead = newShape.length - rank();
        int[] ns = new int[newShape.length];
        long[] nst = new long[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int want = newShape[i];
            if (i < lead) {
                if (want < 0) throw new IllegalArgumentException("expand: -1 not allowed for a new dim");
                ns[i] = want;
                nst[i] = 0;
            } else {
                int have = shape[i - lead];
                if (want == -1 || want == have) {
                    ns[i] = have;
                    nst[i] = strides[i - lead];
                } else if (have == 1) {
                    ns[i] = want;
                    nst[i] = 0;
                } else {
                    throw new IllegalArgumentException("cannot expand shape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
                }
            }
        }
        if (Arrays.equals(ns, shape) && Arrays.equals(nst, strides)) return this;
        return new Layout(ns, nst, offset);
    }

    /** The shape a and b broadcast to (NumPy rules); op names the operation in the error. */
    public static int[] broadcastShapes(int[] a, int[] b, String op) {
        int n = Math.max(a.length, b.length);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            int x = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int y = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            r[i] = x == 1 ? y : x;
        }
        return r;
    }

    // =====================================================================================
    // kernel layouts
    // =====================================================================================

    /**
     * Dims of one shape walked by several operands (operand k has strides[k]) after dropping
     * size-1 dims and merging each dim into its outer neighbour when that is contiguous for EVERY
     * operand (outer stride = inner stride × inner size; stride-0 broadcasts merge with each
     * other). A contiguous elementwise op ends up with one dim; all size-1 gives rank 0.
     */
    public record Coalesced(long[] sizes, long[][] strides) {
        public int rank() { return sizes.length; }
    }

    /** Coalesces shape for the operands' strides; no merged dim grows beyond maxSize elements. */
    public static Coalesced coalesce(int[] shape, long maxSize, long[]... strides) {
        int ops = strides.length;
        long[] sizes = new long[shape.length];
        long[][] st = new long[ops][shape.length];
        int m = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (m > 0 && sizes[m - 1] * shape[d] <= maxSize && jointlyContiguous(st, m - 1, strides, d, shape[d])) {
                sizes[m - 1] *= shape[d];
            } else {
                sizes[m++] = shape[d];
            }
            for (int k = 0; k < ops; k++) st[k][m - 1] = strides[k][d];
        }
        long[][] fst = new long[ops][];
        for (int k = 0; k < ops; k++) fst[k] = Arrays.copyOf(st[k], m);
        return new Coalesced(Arrays.copyOf(sizes, m), fst);
    }

    /** True when merged dim `outer` steps over exactly `size` elements of dim d for every operand. */
    private static boolean jointlyContiguous(long[][] merged, int outer, long[][] strides, int d, int size) {
        for (int k = 0; k < merged.length; k++) {
            if (merged[k][outer] != strides[k][d] * size) return false;
        }
        return true;
    }

    /**
     * How a BLAS-style GEMM reads a matrix in place: row-major (transposed false) or column-major
     * (true) with leading dimension ld, and batchStride elements between the matrices of a batch
     * (0 for one matrix, or one matrix shared by the whole batch).
     */
    public record GemmOperand(boolean transposed, long ld, long batchStride) {}

    /**
     * The GEMM layout of this 2-D [rows, cols] or 3-D [batch, rows, cols] view, or null when the
     * strides fit neither row- nor column-major and the matrix must be copied first. Strides of
     * size-1 dims are ignored, so vectors and single rows always fit.
     */
    public GemmOperand gemmOperand() {
        if (rank() != 2 && rank() != 3) throw new IllegalArgumentException("a GEMM operand needs 2 or 3 dims, got " + this);
        int r = rank() - 2;
        int rows = shape[r], cols = shape[r + 1];
        long rs = strides[r], cs = strides[r + 1];
        long batchStride = rank() == 3 && shape[0] != 1 ? strides[0] : 0;
        if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols)) {
            return new GemmOperand(false, rows == 1 ? Math.max(cols, 1) : rs, batchStride);
        }
        if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows)) {
            return new GemmOperand(true, cols == 1 ? Math.max(rows, 1) : cs, batchStride);
        }
        return null;
    }

    // =====================================================================================
    // shape helpers
    // =====================================================================================

    /** d as an index into a shape of the given rank (negative counts from the end). */
    static int normDim(int d, int rank) {
        int r = d < 0 ? d + rank : d;
        if (r < 0 || r >= Math.max(rank, 1) || (rank == 0)) {
            throw new IndexOutOfBoundsException("dim " + d + " out of range for a " + rank + "-d tensor");
        }
        return r;
    }

    /** Resolves the one -1 of a requested shape s so that it holds numel elements. */
    static int[] inferShape(int[] s, long numel) {
        int[] r = s.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < r.length; i++) {
            if (r[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one -1 allowed in shape " + Arrays.toString(s));
                infer = i;
            } else if (r[i] < 0) {
                throw new IllegalArgumentException("bad dimension " + r[i] + " in shape " + Arrays.toString(s));
            } else {
                known *= r[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(s));
            r[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(s));
        }
        return r;
    }
}
