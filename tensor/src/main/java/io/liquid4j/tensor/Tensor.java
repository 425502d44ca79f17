package io.liquid4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An n-dimensional array on one device: a view ({@link Layout}: shape, strides, offset) over a
 * reference-counted {@link Storage}. Operations are define-by-run differentiable: when an input
 * requires grad, the result records how to propagate gradients and {@link #backward()} runs the
 * reverse pass.
 *
 * <p>Lifetimes are deterministic: {@link #close()} releases the storage reference, and a
 * {@link TensorScope} closes every tensor created inside it. A Cleaner frees unreachable unscoped
 * tensors as a safety net only.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Storage storage;
    private final DType dtype;
    private final Layout layout;
    /** Own copy of layout.shape() (whose getter clones): nearly every op reads it. Never modified. */
    private final int[] shape;
    private final Cleaner.Cleanable cleanable;
    private final AtomicBoolean closed;
    private TensorScope scope;

    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;

    /** Takes over one reference of storage (callers retain() first when sharing). */
    private Tensor(Storage storage, DType dtype, Layout layout) {
        this.storage = storage;
        this.dtype = dtype;
        this.layout = layout;
        this.shape = layout.shape();
        this.closed = new AtomicBoolean();
        this.cleanable = CLEANER.register(this, new Release(storage, closed));
        this.scope = TensorScope.current();
        if (scope != null) scope.add(this);
    }

    /** Cleaner action: must not reference the Tensor itself. */
    private record Release(Storage storage, AtomicBoolean closed) implements Runnable {
        @Override public void run() {
            if (closed.compareAndSet(false, true)) storage.release();
        }
    }

    // =====================================================================================
    // creation
    // =====================================================================================

    /** Wraps a storage (taking over its initial reference) as a contiguous tensor. Backend/IO use. */
    public static Tensor wrap(Storage storage, DType dtype, int... shape) {
        Layout l = Layout.contiguous(shape);
        if (l.numel() * dtype.byteSize() > storage.byteSize()) {
            throw new IllegalArgumentException("storage of " + storage.byteSize() + " bytes is too small for "
                    + dtype + " " + Arrays.toString(shape));
        }
        return new Tensor(storage, dtype, l);
    }

    /** Uninitialised contiguous tensor. */
    public static Tensor empty(DType dtype, Device device, int... shape) {
        Layout l = Layout.contiguous(shape);
        Backend b = Backends.of(device);
        return new Tensor(b.allocate(dtype, l.numel()), dtype, l);
    }

    public static Tensor empty(DType dtype, int... shape) { return empty(dtype, Device.CPU, shape); }

    public static Tensor full(double value, DType dtype, Device device, int... shape) {
        Tensor t = empty(dtype, device, shape);
        t.backend().fill(t, value);
        return t;
    }

    public static Tensor full(double value, DType dtype, int... shape) { return full(value, dtype, Device.CPU, shape); }

    public static Tensor zeros(DType dtype, Device device, int... shape) { return full(0, dtype, device, shape); }

    public static Tensor zeros(DType dtype, int... shape) { return full(0, dtype, Device.CPU, shape); }

    public static Tensor zeros(int... shape) { return zeros(DType.F32, shape); }

    public static Tensor ones(DType dtype, Device device, int... shape) { return full(1, dtype, device, shape); }

    public static Tensor ones(int... shape) { return ones(DType.F32, Device.CPU, shape); }

    /** A 0-dimensional tensor holding value. */
    public static Tensor scalar(double value, DType dtype, Device device) { return full(value, dtype, device); }

    public static Tensor scalar(double value) { return scalar(value, DType.F32, Device.CPU); }

    /** [start, end) with step 1. */
    public static Tensor arange(long start, long end, DType dtype, Device device) {
        return arange(start, end, 1, dtype, device);
    }

    public static Tensor arange(double start, double end, double step, DType dtype, Device device) {
        if (step == 0) throw new IllegalArgumentException("arange step must not be 0");
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0) n = 0;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("arange of " + n + " elements is too long");
        Tensor t = empty(dtype, device, (int) n);
        t.backend().arange(t, start, step);
        return t;
    }

    public static Tensor arange(long end) { return arange(0, end, DType.I64, Device.CPU); }

    public static Tensor fromArray(float[] data, int... shape) {
        return fromHost(MemorySegment.ofArray(data), data.length, DType.F32, Device.CPU, shape);
    }

    public static Tensor fromArray(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return fromArray(f, shape);
    }

    public static Tensor fromArray(int[] data, int... shape) {
        return fromHost(MemorySegment.ofArray(data), data.length, DType.I32, Device.CPU, shape);
    }

    public static Tensor fromArray(long[] data, int... shape) {
        return fromHost(MemorySegment.ofArray(data), data.length, DType.I64, Device.CPU, shape);
    }

    public static Tensor fromArray(byte[] data, int... shape) {
        return fromHost(MemorySegment.ofArray(data), data.length, DType.U8, Device.CPU, shape);
    }

    /**
     * A new tensor on device from raw little-endian bytes of dtype (row-major), for importers
     * that read foreign formats without touching native memory themselves.
     */
    public static Tensor fromBytes(byte[] littleEndian, DType dtype, Device device, int... shape) {
        if (littleEndian.length % dtype.byteSize() != 0) {
            throw new IllegalArgumentException(littleEndian.length + " bytes are not a whole number of " + dtype + " elements");
        }
        return fromHost(MemorySegment.ofArray(littleEndian), littleEndian.length / dtype.byteSize(), dtype, device, shape);
    }

    /** Copies little-endian host bytes of the given dtype into a new tensor on device. */
    public static Tensor fromHost(MemorySegment host, long count, DType dtype, Device device, int... shape) {
        if (numel(shape) != count) {
            throw new IllegalArgumentException(count + " values do not fill shape " + Arrays.toString(shape));
        }
        Tensor t = empty(dtype, device, shape);
        if (count > 0) {
            try (Arena a = Arena.ofConfined()) {
                // heap segments cannot be handed to every backend: stage through native memory
                MemorySegment staged = host.isNative() ? host : a.allocate(count * dtype.byteSize(), 64).copyFrom(
                        host.asSlice(0, count * dtype.byteSize()));
                t.backend().writeFromHost(staged, t);
            }
        }
        return t;
    }

    /** Standard normal samples from a seeded generator. */
    public static Tensor randn(Generator gen, DType dtype, Device device, int... shape) {
        Tensor t = empty(dtype, device, shape);
        t.backend().random(t, true, gen.seed(), gen.advance(t.numel()), 0, 1);
        return t;
    }

    public static Tensor randn(Generator gen, int... shape) { return randn(gen, DType.F32, Device.CPU, shape); }

    /** Uniform samples in [0, 1) from a seeded generator. */
    public static Tensor rand(Generator gen, DType dtype, Device device, int... shape) {
        Tensor t = empty(dtype, device, shape);
        t.backend().random(t, false, gen.seed(), gen.advance(t.numel()), 0, 1);
        return t;
    }

    public static Tensor rand(Generator gen, int... shape) { return rand(gen, DType.F32, Device.CPU, shape); }

    public Tensor zerosLike() { return zeros(dtype, device(), shape); }

    public Tensor onesLike() { return ones(dtype, device(), shape); }

    public Tensor emptyLike() { return empty(dtype, device(), shape); }

    // =====================================================================================
    // properties
    // =====================================================================================

    public DType dtype() { return dtype; }

    public Device device() { return storage.device(); }

    public int[] shape() { return shape.clone(); }

    public int dim() { return shape.length; }

    /** Size of dimension d (negative d counts from the end). */
    public int size(int d) { return shape[normDim(d, shape.length)]; }

    public long numel() { return layout.numel(); }

    /** Strides in elements (backend use; not API, see {@link #storage()}). */
    public long[] strides() { return layout.strides(); }

    public long stride(int d) { return layout.stride(d); }

    /** Offset of element 0 in elements of the storage (backend use; not API, see {@link #storage()}). */
    public long offset() { return layout.offset(); }

    /** Shape, strides and offset together (backend use: kernel and GEMM layouts; not API, see {@link #storage()}). */
    public Layout layout() { return layout; }

    /**
     * The storage (backend use only: nothing above tensor/ touches it). Not API: public only
     * because Java has no narrower visibility for the backend packages ({@code tensor.cpu},
     * {@code tensor.cuda}) and {@code tensor.io} that read it; an application must not call it,
     * and it may change or disappear in any version.
     */
    public Storage storage() {
        if (closed.get() || !storage.isLive()) throw new IllegalStateException("tensor " + describe() + " was already closed");
        return storage;
    }

    Backend backend() { return Backends.of(storage.device()); }

    public boolean isContiguous() { return layout.isContiguous(); }

    public boolean requiresGrad() { return requiresGrad; }

    /** Marks a floating tensor as a leaf whose gradient backward() accumulates. Returns this. */
    public Tensor requiresGrad(boolean value) {
        if (value && !dtype.isFloating()) throw new IllegalArgumentException("only floating tensors can require grad, not " + dtype);
        if (!value && gradFn != null) throw new IllegalStateException("cannot clear requiresGrad of a non-leaf tensor: use detach()");
        requiresGrad = value;
        return this;
    }

    /** The accumulated gradient of a leaf, or null. */
    public Tensor grad() { return grad; }

    /** Replaces the gradient (closing the old one); null clears it. */
    public void setGrad(Tensor g) {
        if (grad != null && grad != g) grad.close();
        grad = g;
        if (g != null) g.moveToScope(null);
    }

    /** Frees and clears the gradient. */
    public void zeroGrad() { setGrad(null); }

    /** True for a tensor created by the user (not by a recorded op). */
    public boolean isLeaf() { return gradFn == null; }

    Node gradFn() { return gradFn; }

    void setGradFn(Node n) {
        gradFn = n;
        requiresGrad = true;
    }

    TensorScope scope() { return scope; }

    void moveToScope(TensorScope target) {
        scope = target;
        if (target != null) target.add(this);
    }

    /** Detaches this tensor from its scope: it lives until closed (or collected). Returns this. */
    public Tensor unscoped() {
        scope = null;
        return this;
    }

    public boolean isClosed() { return closed.get(); }

    /** Releases this view's reference to its storage; idempotent. */
    @Override public void close() {
        cleanable.clean();
        if (grad != null) {
            grad.close();
            grad = null;
        }
        gradFn = null;
    }

    // =====================================================================================
    // autograd entry points
    // =====================================================================================

    /** Reverse pass from a scalar (numel 1) output. */
    public void backward() {
        if (numel() != 1) throw new IllegalStateException("backward() without a gradient needs a scalar output, got shape " + Arrays.toString(shape));
        backward(onesLike());
    }

    /** Reverse pass with an explicit output gradient of this tensor's shape. */
    public void backward(Tensor gradOutput) {
        checkSameShape("backward", this, gradOutput);
        Autograd.backward(this, gradOutput);
    }

    /**
     * Adds g to this leaf's gradient. The first gradient becomes .grad: as a view of g's memory
     * when mayAdopt (g is a temporary the backward pass made, not the caller's output gradient)
     * and g is the only tensor on its whole storage, else as a copy (g may be a view of a graph
     * temporary that its scope frees, or memory something else still reads). Adopting saves a
     * copy of every weight gradient per step (2–3% of a demo training step's backend time).
     */
    void accumulateGrad(Tensor g, boolean mayAdopt) {
        if (grad == null) {
            if (mayAdopt && g.dtype == dtype && g.ownsWholeStorage()) {
                setGrad(g.viewOf(g.layout));      // holds the storage past the scope that frees g
                return;
            }
            Tensor owned = empty(dtype, device(), shape);
            backend().copy(g, owned);
            setGrad(owned);
        } else {
            grad.addInPlace(g);
        }
    }

    /** True when this contiguous tensor is the only one on its storage and covers all of it (but an allocator's alignment padding). */
    private boolean ownsWholeStorage() {
        return isContiguous() && offset() == 0 && storage.references() == 1 && storage.byteSize() - numel() * dtype.byteSize() < 64;
    }

    /** A view sharing storage that does not require grad. */
    public Tensor detach() {
        return viewOf(layout);
    }

    // =====================================================================================
    // views (share storage)
    // =====================================================================================

    private Tensor viewOf(Layout l) {
        storage().retain();
        return new Tensor(storage, dtype, l);
    }

    /** Same elements, new shape (one dim may be -1). Copies only if this view cannot be reshaped in place. */
    public Tensor reshape(int... newShape) {
        int[] s = Layout.inferShape(newShape, numel());
        Layout l = layout.view(s);
        if (l != null) return recordReshape(viewOf(l));
        Tensor c = contiguousNoGrad();
        return recordReshape(c.viewOf(c.layout.view(s)));     // a contiguous layout always views
    }

    /** Like reshape but never copies; fails for views that are not compatible. */
    public Tensor view(int... newShape) {
        int[] s = Layout.inferShape(newShape, numel());
        if (layout.view(s) == null) {
            throw new IllegalStateException("view " + Arrays.toString(s) + " is incompatible with the strides of " + describe() + ": use reshape()");
        }
        return reshape(s);
    }

    /** Records out, this tensor's elements in another shape, so that its gradient is reshaped back. */
    private Tensor recordReshape(Tensor out) {
        int[] inShape = shape;
        return Autograd.record(out, "reshape", g -> new Tensor[] {g.reshape(inShape)}, this);
    }

    public Tensor flatten() { return reshape((int) numel()); }

    /** Merges dims start..end (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        int s = normDim(start, dim()), e = normDim(end, dim());
        int[] ns = new int[dim() - (e - s)];
        int k = 0;
        for (int d = 0; d < s; d++) ns[k++] = shape[d];
        int m = 1;
        for (int d = s; d <= e; d++) m *= shape[d];
        ns[k++] = m;
        for (int d = e + 1; d < dim(); d++) ns[k++] = shape[d];
        return reshape(ns);
    }

    public Tensor permute(int... dims) {
        Layout l = layout.permute(dims);
        int[] inverse = new int[dims.length];
        for (int i = 0; i < dims.length; i++) inverse[normDim(dims[i], dim())] = i;
        return Autograd.record(viewOf(l), "permute", g -> new Tensor[] {g.permute(inverse)}, this);
    }

    public Tensor transpose(int a, int b) {
        return Autograd.record(viewOf(layout.transpose(a, b)), "transpose", g -> new Tensor[] {g.transpose(a, b)}, this);
    }

    /** Transpose of a 2-D tensor. */
    public Tensor t() {
        if (dim() != 2) throw new IllegalStateException("t() needs a 2-D tensor, got " + describe());
        return transpose(0, 1);
    }

    /** Elements start..start+length-1 of dim. */
    public Tensor narrow(int dim, int start, int length) {
        return slice(dim, start, start + length, 1);
    }

    /** Python-style slice [start:end:step] of dim (step > 0; negative start/end count from the end). */
    public Tensor slice(int dim, int start, int end, int step) {
        Tensor out = viewOf(layout.slice(dim, start, end, step));
        int[] inShape = shape;
        return Autograd.record(out, "slice", g -> {
            Tensor gi = zeros(g.dtype, g.device(), inShape);
            gi.slice(dim, start, end, step).copyFrom(g);
            return new Tensor[] {gi};
        }, this);
    }

    /** Removes dim by taking index i of it. */
    public Tensor select(int dim, int index) {
        Tensor out = viewOf(layout.select(dim, index));
        int[] inShape = shape;
        return Autograd.record(out, "select", g -> {
            Tensor gi = zeros(g.dtype, g.device(), inShape);
            gi.select(dim, index).copyFrom(g);
            return new Tensor[] {gi};
        }, this);
    }

    public Tensor unsqueeze(int dim) { return recordReshape(viewOf(layout.unsqueeze(dim))); }

    /** Removes dim, which must have size 1. */
    public Tensor squeeze(int dim) { return recordReshape(viewOf(layout.squeeze(dim))); }

    /** Broadcasts size-1 dims (and new leading dims) to newShape without copying; -1 keeps a size. */
    public Tensor expand(int... newShape) {
        Tensor out = expandNoGrad(newShape);
        if (out == this) return this;     // nothing to expand: recording would make this tensor its own input
        int[] inShape = shape;
        return Autograd.record(out, "expand", g -> new Tensor[] {g.sumTo(inShape)}, this);
    }

    private Tensor expandNoGrad(int... newShape) {
        Layout l = layout.expand(newShape);
        return l == layout ? this : viewOf(l);
    }

    /** Sums a broadcast gradient back down to shape target (reverse of expand). */
    Tensor sumTo(int[] target) {
        if (Arrays.equals(shape, target)) return this;
        Tensor t = this;
        int lead = dim() - target.length;
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < dim(); i++) {
            if (shape[i] != 1 && (i < lead || target[i - lead] == 1)) dims.add(i);   // a leading dim of 1 needs no pass
        }
        if (!dims.isEmpty()) t = t.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true);
        return t.reshape(target);
    }

    /** A contiguous tensor with the same values (this, if already contiguous). */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        return Autograd.record(contiguousNoGrad(), "contiguous", g -> new Tensor[] {g}, this);
    }

    private Tensor contiguousNoGrad() {
        if (isContiguous()) return this;
        Tensor out = empty(dtype, device(), shape);
        backend().copy(this, out);
        return out;
    }

    /** A contiguous copy that never shares storage. */
    @Override
    public Tensor clone() {
        Tensor out = empty(dtype, device(), shape);
        backend().copy(this, out);
        return Autograd.record(out, "clone", g -> new Tensor[] {g}, this);
    }

    // =====================================================================================
    // conversion and host access
    // =====================================================================================

    /** Converts to another dtype (f32→bf16 rounds to nearest even). Returns this if already dtype. */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        Tensor out = empty(target, device(), shape);
        backend().copy(this, out);
        if (!target.isFloating()) return out;
        DType src = dtype;
        return Autograd.record(out, "to", g -> new Tensor[] {g.to(src)}, this);
    }

    /** Moves to another device (through host memory). Returns this if already there. */
    public Tensor to(Device target) {
        if (target.equals(device())) return this;
        Tensor c = contiguousNoGrad();
        Tensor out = empty(dtype, target, shape);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(Math.max(1, numel() * dtype.byteSize()), 64);
            c.backend().readToHost(c, host);
            out.backend().writeFromHost(host, out);
        }
        Device src = device();
        return Autograd.record(out, "to_device", g -> new Tensor[] {g.to(src)}, this);
    }

    /** Copies the values (converted to f32) into a new heap array, row-major. */
    public float[] toFloatArray() {
        float[] r = new float[Math.toIntExact(numel())];
        readInto(MemorySegment.ofArray(r), DType.F32);
        return r;
    }

    public double[] toDoubleArray() {
        float[] f = toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    public long[] toLongArray() {
        long[] r = new long[Math.toIntExact(numel())];
        readInto(MemorySegment.ofArray(r), DType.I64);
        return r;
    }

    public int[] toIntArray() {
        int[] r = new int[Math.toIntExact(numel())];
        readInto(MemorySegment.ofArray(r), DType.I32);
        return r;
    }

    private void readInto(MemorySegment heap, DType as) {
        if (numel() == 0) return;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor c = to(as).contiguousNoGrad();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(numel() * as.byteSize(), 64);
                c.backend().readToHost(c, host);
                heap.copyFrom(host);
            }
        }
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("item() needs exactly one element, got shape " + Arrays.toString(shape));
        if (!dtype.isFloating()) return toLongArray()[0];     // exact for I32 beyond 2^24 (f32 would round)
        return toFloatArray()[0];
    }

    /** The element at the given indices, as double (for tests and debugging). */
    public double get(int... index) {
        if (index.length != dim()) throw new IllegalArgumentException("get needs " + dim() + " indices");
        Tensor t = this;
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            for (int i = index.length - 1; i >= 0; i--) t = t.select(i, index[i]);
            return t.item();
        }
    }

    // =====================================================================================
    // in-place ops (not recorded; refused on tensors that take part in autograd)
    // =====================================================================================

    private void checkInPlace(String op) {
        if (GradMode.isEnabled() && (requiresGrad || gradFn != null)) {
            throw new IllegalStateException(op + " on a tensor that requires grad: wrap it in GradMode.noGrad()");
        }
    }

    /** Copies src (broadcast to this shape, converted to this dtype) into this view. */
    public Tensor copyFrom(Tensor src) {
        checkInPlace("copyFrom");
        checkSameDevice("copyFrom", this, src);
        backend().copy(src.expandNoGrad(shape), this);
        return this;
    }

    public Tensor fill(double value) {
        checkInPlace("fill");
        backend().fill(this, value);
        return this;
    }

    public Tensor zero() { return fill(0); }

    /** this += other (broadcast). */
    public Tensor addInPlace(Tensor other) { return inPlace(BinaryOp.ADD, other); }

    public Tensor subInPlace(Tensor other) { return inPlace(BinaryOp.SUB, other); }

    public Tensor mulInPlace(Tensor other) { return inPlace(BinaryOp.MUL, other); }

    public Tensor divInPlace(Tensor other) { return inPlace(BinaryOp.DIV, other); }

    /** this = this·scale + shift. */
    public Tensor affineInPlace(double scale, double shift) {
        checkInPlace("affineInPlace");
        backend().unary(UnaryOp.AFFINE, this, this, scale, shift);
        return this;
    }

    public Tensor mulInPlace(double scale) { return affineInPlace(scale, 0); }

    private Tensor inPlace(BinaryOp op, Tensor other) {
        checkInPlace(op + " in place");
        checkSameDevice(op.name(), this, other);
        Tensor o = other.dtype == dtype ? other : other.to(dtype);
        backend().binary(op, this, o.expandNoGrad(shape), this);
        return this;
    }

    // =====================================================================================
    // elementwise
    // =====================================================================================

    Tensor unary(UnaryOp op, double p, double q) {
        if (!dtype.isFloating()) return to(DType.F32).unary(op, p, q);
        Tensor out = empty(dtype, device(), shape);
        backend().unary(op, this, out, p, q);
        Tensor x = this;
        return Autograd.record(out, op.name().toLowerCase(), g -> {
            Tensor gi = empty(g.dtype, g.device(), x.shape);
            x.backend().unaryBackward(op, x, out, g, gi, p, q);
            return new Tensor[] {gi};
        }, this);
    }

    public Tensor neg() { return unary(UnaryOp.NEG, 0, 0); }
    public Tensor exp() { return unary(UnaryOp.EXP, 0, 0); }
    public Tensor log() { return unary(UnaryOp.LOG, 0, 0); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT, 0, 0); }
    public Tensor rsqrt() { return unary(UnaryOp.RSQRT, 0, 0); }
    public Tensor abs() { return unary(UnaryOp.ABS, 0, 0); }
    public Tensor tanh() { return unary(UnaryOp.TANH, 0, 0); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID, 0, 0); }
    public Tensor silu() { return unary(UnaryOp.SILU, 0, 0); }
    /** Exact (erf) GELU. */
    public Tensor gelu() { return unary(UnaryOp.GELU, 0, 0); }
    /** GELU with the tanh approximation. */
    public Tensor geluTanh() { return unary(UnaryOp.GELU_TANH, 0, 0); }
    public Tensor relu() { return unary(UnaryOp.RELU, 0, 0); }
    public Tensor pow(double exponent) { return unary(UnaryOp.POW, exponent, 0); }
    public Tensor square() { return mul(this); }
    public Tensor clamp(double min, double max) { return unary(UnaryOp.CLAMP, min, max); }
    public Tensor add(double s) { return unary(UnaryOp.AFFINE, 1, s); }
    public Tensor sub(double s) { return unary(UnaryOp.AFFINE, 1, -s); }
    public Tensor mul(double s) { return unary(UnaryOp.AFFINE, s, 0); }
    public Tensor div(double s) { return unary(UnaryOp.AFFINE, 1 / s, 0); }
    /** s − this. */
    public Tensor rsub(double s) { return unary(UnaryOp.AFFINE, -1, s); }

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor pow(Tensor o) { return binary(BinaryOp.POW, o); }
    /** Elementwise maximum (ties split the gradient evenly, as PyTorch). */
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAX, o); }
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MIN, o); }

    public Tensor eq(Tensor o) { return binary(BinaryOp.EQ, o); }
    public Tensor ne(Tensor o) { return binary(BinaryOp.NE, o); }
    public Tensor lt(Tensor o) { return binary(BinaryOp.LT, o); }
    public Tensor le(Tensor o) { return binary(BinaryOp.LE, o); }
    public Tensor gt(Tensor o) { return binary(BinaryOp.GT, o); }
    public Tensor ge(Tensor o) { return binary(BinaryOp.GE, o); }
    public Tensor eq(double v) { return binary(BinaryOp.EQ, scalarLike(v)); }
    public Tensor ne(double v) { return binary(BinaryOp.NE, scalarLike(v)); }
    public Tensor lt(double v) { return binary(BinaryOp.LT, scalarLike(v)); }
    public Tensor le(double v) { return binary(BinaryOp.LE, scalarLike(v)); }
    public Tensor gt(double v) { return binary(BinaryOp.GT, scalarLike(v)); }
    public Tensor ge(double v) { return binary(BinaryOp.GE, scalarLike(v)); }

    private Tensor scalarLike(double v) {
        // an integer tensor compared with a fractional (or non-finite) value promotes to F32, as
        // PyTorch does; truncating v to I64 would turn x < 2.5 into x < 2
        boolean integral = v == Math.rint(v) && Math.abs(v) < 0x1p63;
        return scalar(v, dtype.isFloating() || !integral ? DType.F32 : DType.I64, device());
    }

    /** Result dtype of mixing a and b: equal types stay, floating wins over integer, mixed 16-bit floats give F32. */
    static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (a.isFloating() && !b.isFloating()) return a;
        if (b.isFloating() && !a.isFloating()) return b;
        if (a.isFloating()) return DType.F32;
        if (a == DType.I64 || b == DType.I64) return DType.I64;
        return DType.I32;
    }

    private Tensor binary(BinaryOp op, Tensor o) {
        checkSameDevice(op.name().toLowerCase(), this, o);
        int[] outShape = Layout.broadcastShapes(shape, o.shape, op.name().toLowerCase());
        DType rd = promote(dtype, o.dtype);
        // 0-d scalar constants must not widen a 16-bit tensor
        if (o.dim() == 0 && !o.requiresGrad && dtype.isFloating() && o.dtype.isFloating()) rd = dtype;
        if (dim() == 0 && !requiresGrad && dtype.isFloating() && o.dtype.isFloating() && o.dim() > 0) rd = o.dtype;
        Tensor a = this, b = o;
        Tensor ae = (a.dtype == rd ? a : a.toNoGrad(rd)).expandNoGrad(outShape);
        Tensor be = (b.dtype == rd ? b : b.toNoGrad(rd)).expandNoGrad(outShape);
        Tensor out = empty(op.isComparison() ? DType.U8 : rd, device(), outShape);
        backend().binary(op, ae, be, out);
        if (op.isComparison() || !rd.isFloating()) return out;
        return Autograd.record(out, op.name().toLowerCase(), g -> binaryBackward(op, a, b, out, g), a, b);
    }

    private Tensor toNoGrad(DType t) {
        Tensor out = empty(t, device(), shape);
        backend().copy(this, out);
        return out;
    }

    private static Tensor[] binaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor out, Tensor g) {
        Tensor ga = null, gb = null;
        boolean na = a.requiresGrad, nb = b.requiresGrad;
        switch (op) {
            case ADD -> { ga = g; gb = g; }
            case SUB -> { ga = g; gb = nb ? g.neg() : null; }
            case MUL -> { ga = na ? g.mul(b) : null; gb = nb ? g.mul(a) : null; }
            case DIV -> { ga = na ? g.div(b) : null; gb = nb ? g.mul(out).div(b).neg() : null; }
            case POW -> {
                ga = na ? g.mul(b).mul(a.pow(b.sub(1.0))) : null;
                gb = nb ? g.mul(out).mul(a.log()) : null;
            }
            case MAX, MIN -> {
                Tensor ma = a.eq(out).to(g.dtype), mb = b.eq(out).to(g.dtype);
                Tensor w = ma.add(mb);
                ga = na ? g.mul(ma).div(w) : null;
                gb = nb ? g.mul(mb).div(w) : null;
            }
            default -> throw new IllegalStateException("no gradient for " + op);
        }
        return new Tensor[] {ga == null ? null : ga.sumTo(a.shape), gb == null ? null : gb.sumTo(b.shape)};
    }

    /** cond ? a : b elementwise, broadcasting all three; cond is U8 (non-zero = true). */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        checkSameDevice("where", cond, a);
        checkSameDevice("where", a, b);
        if (cond.dtype != DType.U8) cond = cond.ne(0);
        int[] s = Layout.broadcastShapes(Layout.broadcastShapes(cond.shape, a.shape, "where"), b.shape, "where");
        DType rd = promote(a.dtype, b.dtype);
        Tensor ce = cond.expandNoGrad(s);
        Tensor out = empty(rd, a.device(), s);
        a.backend().where(ce, (a.dtype == rd ? a : a.toNoGrad(rd)).expandNoGrad(s), (b.dtype == rd ? b : b.toNoGrad(rd)).expandNoGrad(s), out);
        if (!rd.isFloating()) return out;
        Tensor c = cond;
        return Autograd.record(out, "where", g -> {
            Tensor zero = zeros(g.dtype, g.device());
            return new Tensor[] {
                a.requiresGrad ? where(c, g, zero).sumTo(a.shape) : null,
                b.requiresGrad ? where(c, zero, g).sumTo(b.shape) : null};
        }, a, b);
    }

    /** where(cond, value, this): replaces elements where mask is true. */
    public Tensor maskedFill(Tensor mask, double value) {
        return where(mask, scalar(value, dtype, device()), this);
    }

    // =====================================================================================
    // reductions
    // =====================================================================================

    private Tensor reduceKeep(ReduceOp op, int d) { return reduceKeep(op, d, null); }

    /** Reduces dim d keeping it as size 1; outType (may be null) overrides the result dtype. */
    private Tensor reduceKeep(ReduceOp op, int d, DType outType) {
        int[] os = shape.clone();
        os[d] = 1;
        DType od = outType != null ? outType : switch (op) {
            case ARGMAX, ARGMIN -> DType.I64;
            case SUM -> dtype.isFloating() ? dtype : DType.I64;
            default -> dtype.isFloating() ? dtype : DType.F32;
        };
        Tensor out = empty(od, device(), os);
        if (shape[d] == 0 && op != ReduceOp.SUM) {
            throw new IllegalArgumentException(op + " over an empty dimension " + d + " of " + describe());
        }
        backend().reduce(op, this, d, out);
        return out;
    }

    /** Sum over dim. */
    public Tensor sum(int dim, boolean keepdim) { return sum(new int[] {dim}, keepdim); }

    /** Sum over several dims. */
    public Tensor sum(int[] dims, boolean keepdim) {
        int[] ds = normDims(dims);
        if (ds.length == 0) return this;     // nothing to reduce (recording the identity would make a self-loop)
        Tensor t;
        try (var _ = GradMode.noGrad()) {
            t = sumKept(ds);
        }
        Tensor out = keepdim ? t : squeezeDims(t, ds);
        int[] inShape = shape;
        int[] keptShape = t.shape;
        if (!dtype.isFloating()) return out;
        return Autograd.record(out, "sum", g -> new Tensor[] {g.reshape(keptShape).expand(inShape).contiguous()}, this);
    }

    /**
     * The sums over ds (sorted) with those dims kept as size 1, a tensor of its own, recording
     * nothing. Dims of size 1 are left out, and on a contiguous tensor each run of neighbouring
     * summed dims, and each run of kept ones, is viewed as one dim of their product: [N, C, H, W]
     * summed over N, H and W is one pass over rows of H·W and one over N, not three passes, the
     * first over rows of W alone; a view summed over several dims is made contiguous first (a VQGAN training step spent 3.5% of its backend time reducing
     * [16, 64, 8, 8] to [16, 64, 8, 1] first, BENCHMARKS.md). 16-bit floats over several passes
     * accumulate in f32 and are rounded once.
     */
    private Tensor sumKept(int[] ds) {
        int[] kept = shape.clone();
        boolean[] summed = new boolean[dim()];
        for (int d : ds) {
            kept[d] = 1;
            summed[d] = shape[d] != 1;
        }
        int live = 0;
        for (boolean b : summed) if (b) live++;
        // a view is copied once (the CPU's reduce would copy it for every pass), then merged
        Tensor src = live > 1 ? contiguousNoGrad() : this;
        int[] merged = new int[dim()];
        boolean[] mergedSummed = new boolean[dim()];
        int m = 0;
        for (int d = 0; d < dim(); d++) {
            if (shape[d] == 1) continue;
            if (m > 0 && mergedSummed[m - 1] == summed[d] && src.isContiguous()) {
                merged[m - 1] *= shape[d];
            } else {
                merged[m] = shape[d];
                mergedSummed[m++] = summed[d];
            }
        }
        int passes = 0;
        for (int i = 0; i < m; i++) if (mergedSummed[i]) passes++;
        if (passes == 0) return clone();      // only dims of 1: the values, in a tensor of its own (kept == shape); called under noGrad
        DType acc = passes > 1 && (dtype == DType.BF16 || dtype == DType.F16) ? DType.F32 : null;
        int[] view = Arrays.copyOf(merged, m);
        Tensor t = Arrays.equals(view, src.shape) ? src : src.reshape(view);
        for (int i = m - 1; i >= 0; i--) if (mergedSummed[i]) t = t.reduceKeep(ReduceOp.SUM, i, acc);
        if (acc != null) t = t.toNoGrad(dtype);
        return Arrays.equals(t.shape, kept) ? t : t.reshape(kept);
    }

    /** Sum of all elements (0-d). */
    public Tensor sum() { return sum(allDims(), false); }

    public Tensor mean(int dim, boolean keepdim) { return mean(new int[] {dim}, keepdim); }

    public Tensor mean(int[] dims, boolean keepdim) {
        long n = 1;
        for (int d : normDims(dims)) n *= shape[d];
        return sum(dims, keepdim).div((double) n);
    }

    public Tensor mean() { return mean(allDims(), false); }

    /** Variance over dim with the given correction (1 = unbiased, as torch.var's default; 0 = population). */
    public Tensor var(int dim, boolean keepdim, int correction) { return var(new int[] {dim}, keepdim, correction); }

    public Tensor var(int[] dims, boolean keepdim, int correction) {
        long n = 1;
        for (int d : normDims(dims)) n *= shape[d];
        Tensor centered = sub(mean(dims, true));
        return centered.mul(centered).sum(dims, keepdim).div((double) Math.max(0, n - correction));
    }

    /** Maximum values along dim (the gradient flows to the first maximal element). */
    public Tensor max(int dim, boolean keepdim) { return extremum(ReduceOp.ARGMAX, dim, keepdim); }

    public Tensor min(int dim, boolean keepdim) { return extremum(ReduceOp.ARGMIN, dim, keepdim); }

    /** Maximum over all elements (0-d). */
    public Tensor max() { return flatten().max(0, false); }

    public Tensor min() { return flatten().min(0, false); }

    private Tensor extremum(ReduceOp argOp, int dim, boolean keepdim) {
        int d = normDim(dim, dim());
        Tensor idx = reduceKeep(argOp, d);
        Tensor vals = gatherNoGrad(d, idx);
        Tensor out = keepdim ? vals : squeezeDims(vals, new int[] {d});
        int[] keptShape = vals.shape;
        int[] inShape = shape;
        if (!dtype.isFloating()) return out;
        return Autograd.record(out, argOp == ReduceOp.ARGMAX ? "max" : "min", g -> {
            Tensor gi = zeros(g.dtype, g.device(), inShape);
            gi.backend().scatterAdd(gi, d, idx, g.reshape(keptShape).contiguous());
            return new Tensor[] {gi};
        }, this);
    }

    /** Index of the maximum along dim (first on ties), I64. */
    public Tensor argmax(int dim, boolean keepdim) {
        int d = normDim(dim, dim());
        Tensor idx = reduceKeep(ReduceOp.ARGMAX, d);
        return keepdim ? idx : squeezeDims(idx, new int[] {d});
    }

    public Tensor argmin(int dim, boolean keepdim) {
        int d = normDim(dim, dim());
        Tensor idx = reduceKeep(ReduceOp.ARGMIN, d);
        return keepdim ? idx : squeezeDims(idx, new int[] {d});
    }

    /** log(sum(exp(x))) along dim, computed stably. */
    public Tensor logsumexp(int dim, boolean keepdim) {
        int d = normDim(dim, dim());
        Tensor lse = reduceKeep(ReduceOp.LOGSUMEXP, d);
        Tensor out = keepdim ? lse : squeezeDims(lse, new int[] {d});
        Tensor x = this;
        int[] keptShape = lse.shape;
        return Autograd.record(out, "logsumexp", g -> new Tensor[] {
            x.sub(lse).exp().mul(g.reshape(keptShape))}, this);
    }

    private static Tensor squeezeDims(Tensor t, int[] dims) {
        int[] ns = new int[t.dim() - dims.length];
        int k = 0;
        outer:
        for (int i = 0; i < t.dim(); i++) {
            for (int d : dims) if (d == i) continue outer;
            ns[k++] = t.shape[i];
        }
        return t.reshape(ns);
    }

    private int[] allDims() {
        int[] a = new int[dim()];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return a;
    }

    private int[] normDims(int[] dims) {
        int[] r = new int[dims.length];
        for (int i = 0; i < dims.length; i++) r[i] = normDim(dims[i], dim());
        Arrays.sort(r);
        for (int i = 1; i < r.length; i++) {
            if (r[i] == r[i - 1]) throw new IllegalArgumentException("dim " + r[i] + " repeated in " + Arrays.toString(dims));
        }
        return r;
    }

    // =====================================================================================
    // linear algebra
    // =====================================================================================

    /**
     * Matrix product with NumPy semantics: 1-D operands are promoted, batch dims broadcast.
     * The right operand may be BF16/F16 weights (decoded inside the kernel, never copied to f32).
     */
    public Tensor matmul(Tensor other) {
        checkSameDevice("matmul", this, other);
        if (!dtype.isFloating() || !other.dtype.isFloating()) {
            throw new IllegalArgumentException("matmul needs floating operands, got " + dtype + " and " + other.dtype);
        }
        if (dim() == 0 || other.dim() == 0) throw new IllegalArgumentException("matmul of a 0-d tensor");
        Tensor a = dim() == 1 ? unsqueeze(0) : this;
        Tensor b = other.dim() == 1 ? other.unsqueeze(1) : other;
        int m = a.size(-2), k = a.size(-1), k2 = b.size(-2), n = b.size(-1);
        if (k != k2) {
            throw new IllegalArgumentException("matmul shape mismatch: " + Arrays.toString(shape) + " @ " + Arrays.toString(other.shape));
        }
        int[] batch = Layout.broadcastShapes(Arrays.copyOf(a.shape, a.dim() - 2), Arrays.copyOf(b.shape, b.dim() - 2), "matmul");
        Tensor out = matmulRaw(a, b, batch, m, k, n);
        if (dim() == 1) out = out.squeeze(-2);
        if (other.dim() == 1) out = out.squeeze(-1);
        return out;
    }

    private static Tensor matmulRaw(Tensor a, Tensor b, int[] batch, int m, int k, int n) {
        DType rd = promote(a.dtype, b.dtype);
        Tensor a3, b3;
        int bs = (int) numel(batch);
        // one shared 2-D weight (a Linear's): the batch rows are more rows of one product, so the
        // weight is streamed once, not once per batch entry (a decode step of B rows is [B, 1, K])
        boolean fold = b.dim() == 2 && bs > 1;
        try (var _ = GradMode.noGrad()) {
            Tensor af = a.dtype == DType.F32 ? a : a.toNoGrad(DType.F32);
            a3 = fold ? af.reshape(1, bs * m, k) : batch3(af, batch, m, k);
            b3 = fold ? b.unsqueeze(0) : batch3(b, batch, k, n);
        }
        int[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = m;
        os[batch.length + 1] = n;
        Tensor out = empty(DType.F32, a.device(), os);
        a.backend().matmul(a3, b3, out.viewOf(fold ? Layout.contiguous(1, bs * m, n) : Layout.contiguous(bs, m, n)), false);
        if (rd != DType.F32) out = out.toNoGrad(rd);
        Tensor res = out;
        // the shared weight's gradient is one product over all batch rows, [K, B·M] · [B·M, N], not B
        // products of [K, M] · [M, N] summed afterwards (B times the memory, and a reduction over it)
        return Autograd.record(res, "matmul", g -> new Tensor[] {
            a.requiresGrad ? g.matmul(b.transpose(-1, -2)).sumTo(a.shape) : null,
            !b.requiresGrad ? null
                    : fold ? a.reshape(bs * m, k).transpose(0, 1).matmul(g.reshape(bs * m, n))
                    : a.transpose(-1, -2).matmul(g).sumTo(b.shape)}, a, b);
    }

    /**
     * Expands t's batch dims to `batch` and views it as [B, r, c]: reshape views when the batch
     * dims merge into one (all stride 0, or nested contiguously) and copies otherwise. Called
     * under noGrad, so nothing is recorded.
     */
    private static Tensor batch3(Tensor t, int[] batch, int r, int c) {
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = r;
        full[batch.length + 1] = c;
        return t.expandNoGrad(full).reshape((int) numel(batch), r, c);
    }

    // =====================================================================================
    // indexing, joining, splitting
    // =====================================================================================

    /** out[..i..] = this[..index[..i..]..] along dim; index is I32/I64 with this tensor's rank. */
    public Tensor gather(int dim, Tensor index) {
        int d = normDim(dim, dim());
        Tensor out = gatherNoGrad(d, index);
        int[] inShape = shape;
        return Autograd.record(out, "gather", g -> {
            Tensor gi = zeros(g.dtype, g.device(), inShape);
            gi.backend().scatterAdd(gi, d, index, g);
            return new Tensor[] {gi};
        }, this);
    }

    private Tensor gatherNoGrad(int d, Tensor index) {
        checkIndex("gather", index);
        if (index.dim() != dim()) {
            throw new IllegalArgumentException("gather index must have rank " + dim() + ", got " + index.describe());
        }
        for (int i = 0; i < dim(); i++) {
            if (i != d && index.shape[i] > shape[i]) {
                throw new IllegalArgumentException("gather index " + index.describe() + " is larger than " + describe() + " at dim " + i);
            }
        }
        Tensor out = empty(dtype, device(), index.shape);
        backend().gather(this, d, index, out);
        return out;
    }

    /** Returns this + src scattered along dim at index (out-of-place scatter_add). */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        int d = normDim(dim, dim());
        checkIndex("scatterAdd", index);
        checkSameDevice("scatterAdd", this, src);
        if (index.dim() != dim() || src.dim() != dim()) {
            throw new IllegalArgumentException("scatterAdd index and src must have rank " + dim());
        }
        // as torch: index may not exceed src anywhere, nor this outside dim (the kernel walks index coordinates)
        for (int i = 0; i < dim(); i++) {
            if (index.shape[i] > src.shape[i] || (i != d && index.shape[i] > shape[i])) {
                throw new IllegalArgumentException("scatterAdd index " + index.describe() + " is larger than src "
                        + src.describe() + " or than " + describe() + " at dim " + i);
            }
        }
        Tensor out = empty(dtype, device(), shape);
        backend().copy(this, out);
        backend().scatterAdd(out, d, index, src.dtype == dtype ? src : src.toNoGrad(dtype));
        Tensor s = src;
        return Autograd.record(out, "scatter_add", g -> new Tensor[] {
            g, s.requiresGrad ? scatterSrcGrad(g.gatherNoGrad(d, index), s.shape) : null}, this, src);
    }

    /** The gradient of scatterAdd's src: gathered values over the index region, zero where src was not read. */
    private static Tensor scatterSrcGrad(Tensor gathered, int[] srcShape) {
        if (Arrays.equals(gathered.shape, srcShape)) return gathered;
        Tensor full = zeros(gathered.dtype, gathered.device(), srcShape);
        Tensor region = full.detach();
        for (int i = 0; i < srcShape.length; i++) region = region.narrow(i, 0, gathered.shape[i]);
        region.copyFrom(gathered);
        return full;
    }

    /** Rows (or slices) of this along dim picked by a 1-D integer index. */
    public Tensor indexSelect(int dim, Tensor index) {
        int d = normDim(dim, dim());
        checkIndex("indexSelect", index);
        if (index.dim() != 1) throw new IllegalArgumentException("indexSelect needs a 1-D index, got " + index.describe());
        int[] os = shape.clone();
        os[d] = index.shape[0];
        Tensor out = empty(dtype, device(), os);
        backend().indexSelect(this, d, index, out);
        int[] inShape = shape;
        return Autograd.record(out, "index_select", g -> {
            Tensor gi = zeros(g.dtype, g.device(), inShape);
            gi.backend().indexAdd(gi, d, index, g.contiguous());
            return new Tensor[] {gi};
        }, this);
    }

    private void checkIndex(String op, Tensor index) {
        if (index.dtype != DType.I64 && index.dtype != DType.I32) {
            throw new IllegalArgumentException(op + " needs an I32 or I64 index, got " + index.dtype);
        }
        checkSameDevice(op, this, index);
    }

    /** Concatenates along dim; all other dims must match. */
    public static Tensor cat(int dim, Tensor... ts) {
        if (ts.length == 0) throw new IllegalArgumentException("cat of no tensors");
        Tensor f = ts[0];
        int d = normDim(dim, f.dim());
        int total = 0;
        DType rd = f.dtype;
        for (Tensor t : ts) {
            checkSameDevice("cat", f, t);
            if (t.dim() != f.dim()) throw new IllegalArgumentException("cat: rank " + t.dim() + " vs " + f.dim());
            for (int i = 0; i < f.dim(); i++) {
                if (i != d && t.shape[i] != f.shape[i]) {
                    throw new IllegalArgumentException("cat along dim " + d + ": shapes " + Arrays.toString(f.shape) + " and " + Arrays.toString(t.shape) + " differ at dim " + i);
                }
            }
            total += t.shape[d];
            rd = promote(rd, t.dtype);
        }
        int[] os = f.shape.clone();
        os[d] = total;
        Tensor out = empty(rd, f.device(), os);
        int at = 0;
        int[] starts = new int[ts.length];
        for (int i = 0; i < ts.length; i++) {
            starts[i] = at;
            int len = ts[i].shape[d];
            if (len > 0) {
                Tensor dst = out.viewOf(out.layout.narrow(d, at, len));
                out.backend().copy(ts[i], dst);
                dst.close();
            }
            at += len;
        }
        return Autograd.record(out, "cat", g -> {
            Tensor[] r = new Tensor[ts.length];
            for (int i = 0; i < ts.length; i++) r[i] = ts[i].requiresGrad ? g.narrow(d, starts[i], ts[i].shape[d]) : null;
            return r;
        }, ts);
    }

    /** Stacks equally shaped tensors along a new dim. */
    public static Tensor stack(int dim, Tensor... ts) {
        if (ts.length == 0) throw new IllegalArgumentException("stack of no tensors");
        int d = normDim(dim, ts[0].dim() + 1);
        Tensor[] u = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            if (!Arrays.equals(ts[i].shape, ts[0].shape)) {
                throw new IllegalArgumentException("stack needs equal shapes: " + Arrays.toString(ts[0].shape) + " vs " + Arrays.toString(ts[i].shape));
            }
            u[i] = ts[i].unsqueeze(d);
        }
        return cat(d, u);
    }

    /** Splits dim into chunks of splitSize (the last may be smaller); views, no copies. */
    public List<Tensor> split(int splitSize, int dim) {
        if (splitSize <= 0) throw new IllegalArgumentException("split size must be > 0");
        int d = normDim(dim, dim());
        List<Tensor> r = new ArrayList<>();
        for (int s = 0; s < shape[d]; s += splitSize) r.add(narrow(d, s, Math.min(splitSize, shape[d] - s)));
        return r;
    }

    /** Splits dim into pieces of the given sizes, which must add up to its size. */
    public List<Tensor> split(int[] sizes, int dim) {
        int d = normDim(dim, dim());
        int sum = 0;
        for (int s : sizes) sum += s;
        if (sum != shape[d]) throw new IllegalArgumentException("split sizes " + Arrays.toString(sizes) + " do not add up to " + shape[d]);
        List<Tensor> r = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            r.add(narrow(d, at, s));
            at += s;
        }
        return r;
    }

    /** Splits dim into n equal chunks (dim size must divide). */
    public List<Tensor> chunk(int n, int dim) {
        int d = normDim(dim, dim());
        if (n <= 0) throw new IllegalArgumentException("chunk count must be > 0, got " + n);
        if (shape[d] % n != 0) throw new IllegalArgumentException("chunk(" + n + ") of dim of size " + shape[d]);
        return split(shape[d] / n, d);
    }

    // =====================================================================================
    // helpers
    // =====================================================================================

    public static long numel(int[] shape) { return Layout.numel(shape); }

    /** d as an index into a shape of the given rank (negative counts from the end). */
    static int normDim(int d, int rank) { return Layout.normDim(d, rank); }

    static void checkSameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": tensors on different devices (" + a.device() + " and " + b.device() + ")");
        }
    }

    static void checkSameShape(String op, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape, b.shape)) {
            throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a.shape) + " and " + Arrays.toString(b.shape) + " differ");
        }
    }

    /** "F32[2, 3] on cpu". */
    public String describe() {
        return dtype + Arrays.toString(shape) + " on " + storage.device();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(describe());
        if (!closed.get() && storage.isLive() && numel() > 0) {
            float[] v;
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                v = flatten().narrow(0, 0, (int) Math.min(8, numel())).toFloatArray();
            }
            sb.append(", ").append(Arrays.toString(v).replace("]", numel() > 8 ? ", ...]" : "]"));
        }
        if (requiresGrad) sb.append(", requiresGrad");
        return sb.append(')').toString();
    }

}
