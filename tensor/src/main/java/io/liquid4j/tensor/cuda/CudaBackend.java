package io.liquid4j.tensor.cuda;

import io.liquid4j.tensor.Backend;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.BinaryOp;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.ReduceOp;
import io.liquid4j.tensor.Storage;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.UnaryOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CUDA backend of one device: every Backend method as a kernel of liquid4j.fatbin (or
 * cuBLASLt for matmul) on one stream. Host reads and index-range checks synchronise; everything
 * else is asynchronous and ordered by the stream. Methods that need contiguous F32 say so and
 * throw otherwise — nothing falls back silently.
 */
public final class CudaBackend implements Backend {
    static final int THREADS = 256;

    private final Device device;
    final CudaDriver drv;
    final CudaKernels kernels;
    final CudaAllocator allocator;
    final long stream;
    final int sms;
    private final String name;
    private final int cc;
    private CudaMatmul matmul;   // cuBLASLt loads on first matmul: other ops work without it
    private final long errBuf;   // 16 bytes: index-range error flag + offending value
    private final CudaRowOps rows;
    private final CudaIndexing indexing;
    private final CudaAttention attention;

    private CudaBackend(int ordinal, CudaDriver drv, byte[] fatbin) {
        this.device = Device.cuda(ordinal);
        this.drv = drv;
        int dev = drv.device(ordinal);
        drv.usePrimaryContext(dev);
        this.name = drv.deviceName(dev);
        this.sms = drv.attribute(dev, CudaDriver.ATTR_MULTIPROCESSOR_COUNT);
        this.cc = drv.attribute(dev, CudaDriver.ATTR_CC_MAJOR) * 10 + drv.attribute(dev, CudaDriver.ATTR_CC_MINOR);
        this.stream = drv.streamCreate(0);
        this.kernels = new CudaKernels(drv, fatbin);
        this.allocator = new CudaAllocator(drv, stream);
        this.errBuf = allocator.allocate(16);
        this.rows = new CudaRowOps(this);
        this.indexing = new CudaIndexing(this);
        this.attention = new CudaAttention(this);
    }

    /**
     * Registers cuda:0 with {@link Backends} when the driver loads, a device exists and this build
     * carries the fatbin; otherwise records the precise reason. Never throws.
     */
    public static void tryRegister() {
        byte[] fatbin;
        try {
            fatbin = CudaKernels.readFatbin();
        } catch (RuntimeException e) {
            Backends.setCudaUnavailableReason(e.getMessage());
            return;
        }
        CudaDriver drv;
        try {
            drv = CudaDriver.get();
        } catch (CudaException e) {
            Backends.setCudaUnavailableReason("no NVIDIA driver: " + e.getMessage());
            return;
        } catch (RuntimeException | LinkageError e) {
            Backends.setCudaUnavailableReason("no NVIDIA driver: " + e);
            return;
        }
        try {
            if (drv.deviceCount() == 0) {
                Backends.setCudaUnavailableReason("the NVIDIA driver found no CUDA device");
                return;
            }
            if (fatbin == null) {
                Backends.setCudaUnavailableReason("this build of liquid4j has no CUDA kernels (nvcc was missing when it was built: no "
                        + CudaKernels.FATBIN_RESOURCE + ")");
                return;
            }
            Backends.register(new CudaBackend(0, drv, fatbin));
        } catch (RuntimeException e) {
            Backends.setCudaUnavailableReason("CUDA initialisation failed: " + e.getMessage());
        }
    }

    /** CUDA devices the driver sees (for {@link Backends#cudaDeviceCount}). */
    public static int deviceCount() { return CudaDriver.get().deviceCount(); }

    /** The registered backend of cuda:0 (throws when CUDA is unavailable). */
    public static CudaBackend get() { return (CudaBackend) Backends.of(Device.cuda(0)); }

    @Override public Device device() { return device; }

    @Override public String describe() {
        long[] mem = drv.memInfo();
        return device + ": " + name + " (sm_" + cc + ", " + sms + " SMs, " + CudaAllocator.fmt(mem[1]) + "), driver "
                + drv.driverVersion() + ", allocator " + (allocator.streamOrdered() ? "stream-ordered" : "synchronous")
                + ", in use " + CudaAllocator.fmt(allocator.allocatedBytes()) + ", reserved " + CudaAllocator.fmt(allocator.reservedBytes());
    }

    public CudaAllocator allocator() { return allocator; }

    public long stream() { return stream; }

    public CudaDriver driver() { return drv; }

    /** Waits for all work queued on this backend's stream. */
    public void synchronize() { drv.streamSynchronize(stream); }

    synchronized CudaMatmul gemm() {
        if (matmul == null) matmul = new CudaMatmul(CublasLt.get(), drv, stream, allocator);
        return matmul;
    }

    // ---- helpers -------------------------------------------------------------------------

    /** Device address of a view's first element. */
    static long ptr(Tensor t) { return ((CudaStorage) t.storage()).ptr() + t.offset() * t.dtype().byteSize(); }

    static int dt(Tensor t) { return t.dtype().ordinal(); }

    void launch(String kernel, long blocks, int threads, int shmem, java.util.function.Consumer<KernelArgs> args) {
        try (Arena a = Arena.ofConfined()) {
            KernelArgs k = new KernelArgs(a);
            args.accept(k);
            kernels.launch(kernel, blocks, threads, shmem, stream, k);
        }
    }

    /** Launches a 1-D grid-stride elementwise kernel over n elements. */
    void launchElementwise(String kernel, long n, java.util.function.Consumer<KernelArgs> args) {
        if (n == 0) return;
        launch(kernel, CudaKernels.gridFor(n, THREADS), THREADS, 0, args);
    }

    long scratch(long bytes) { return allocator.allocate(bytes); }

    void release(long ptr, long bytes) { allocator.free(ptr, bytes); }   // stream-ordered: safe right after enqueueing

    /** Zeroes the index error flag before an indexing kernel. */
    void clearIndexError() { drv.memsetAsync(errBuf, 0, 16, stream); }

    long errBuf() { return errBuf; }

    /** Reads the index error flag (synchronises) and throws like the CPU backend on a bad index. */
    void checkIndexError(String op, int dim, long bound) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(16, 8);
            drv.copyDtoHAsync(h, errBuf, 16, stream);
            drv.streamSynchronize(stream);
            if (h.get(ValueLayout.JAVA_LONG, 0) != 0) {
                throw new IndexOutOfBoundsException(op + ": index " + h.get(ValueLayout.JAVA_LONG, 8)
                        + " is out of range for dim " + dim + " of size " + bound);
            }
        }
    }

    // ---- allocation and data movement ----------------------------------------------------

    @Override public Storage allocate(DType dtype, long numel) {
        return new CudaStorage(device, allocator, numel * dtype.byteSize());
    }

    @Override public void copy(Tensor src, Tensor dst) {
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            long bytes = dst.numel() * dst.dtype().byteSize();
            if (bytes > 0) drv.copyDtoDAsync(ptr(dst), ptr(src), bytes, stream);
            return;
        }
        long[] d = Dims.of(dst.shape(), dst.strides(), src.strides());
        launchElementwise("l4j_copy", dst.numel(), k -> k.struct(d).ptr(ptr(src)).i32(dt(src)).ptr(ptr(dst)).i32(dt(dst)));
    }

    @Override public void fill(Tensor dst, double value) {
        if (value == 0 && Double.doubleToRawLongBits(value) == 0 && dst.isContiguous()) {
            long bytes = dst.numel() * dst.dtype().byteSize();
            if (bytes > 0) drv.memsetAsync(ptr(dst), 0, bytes, stream);
            return;
        }
        long[] d = Dims.of(dst.shape(), dst.strides());
        launchElementwise("l4j_fill", dst.numel(), k -> k.struct(d).ptr(ptr(dst)).i32(dt(dst)).f64(value));
    }

    @Override public void arange(Tensor dst, double start, double step) {
        requireContiguous("arange", dst);
        launchElementwise("l4j_arange", dst.numel(), k -> k.i64(dst.numel()).ptr(ptr(dst)).i32(dt(dst)).f64(start).f64(step));
    }

    @Override public void random(Tensor dst, boolean normal, long seed, long counter, double a, double b) {
        requireContiguous("random", dst);
        if (!dst.dtype().isFloating()) throw new IllegalArgumentException("random fill needs a floating tensor, got " + dst.dtype());
        launchElementwise("l4j_random", dst.numel(),
                k -> k.i64(dst.numel()).ptr(ptr(dst)).i32(dt(dst)).i32(normal ? 1 : 0).i64(seed).i64(counter).f64(a).f64(b)
                        .f64(normal ? Double.POSITIVE_INFINITY : dst.dtype().largestBelow(b)));
    }

    /** Bytes of one pinned staging buffer; larger host copies are cut into chunks of this size. */
    public static final long STAGING_CHUNK = 8L << 20;
    /** Host copies of at least this many bytes are split across threads (one thread moves ~10 GB/s). */
    private static final long PARALLEL_COPY_MIN = 2L << 20;
    private final Object stagingLock = new Object();
    private MemorySegment[] staging;      // two page-locked buffers (double buffering), allocated on first use
    private long[] stagingEvents;
    private boolean stagingUnavailable;

    /**
     * Whether host copies go through the pinned staging buffers: -Dliquid4j.cuda.pinnedStaging=false
     * (read on each copy, so benchmarks can compare) uses the driver's pageable path instead. Also
     * false when page-locked memory cannot be had (then the pageable path is used, silently).
     */
    private boolean useStaging() {
        if (!Boolean.parseBoolean(System.getProperty("liquid4j.cuda.pinnedStaging", "true"))) return false;
        if (staging == null && !stagingUnavailable) {
            MemorySegment[] bufs = new MemorySegment[2];
            try {
                for (int i = 0; i < 2; i++) bufs[i] = drv.hostAlloc(STAGING_CHUNK);
                stagingEvents = new long[] {drv.eventCreate(CU_EVENT_DISABLE_TIMING), drv.eventCreate(CU_EVENT_DISABLE_TIMING)};
                staging = bufs;
            } catch (CudaException e) {
                for (MemorySegment b : bufs) if (b != null) drv.freeHost(b);
                stagingUnavailable = true;
            }
        }
        return staging != null;
    }

    private static final int CU_EVENT_DISABLE_TIMING = 2;

    /**
     * MemorySegment.copy, split across the common pool's threads for large copies
     * (-Dliquid4j.cuda.stagingThreads=N parts, default min(8, pool parallelism + 1), read per call).
     */
    @SuppressWarnings("restricted")   // global-scope views of a range the caller's segments were checked for
    static void hostCopy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long len) {
        if (len < PARALLEL_COPY_MIN || !src.isNative() || !dst.isNative()) {
            MemorySegment.copy(src, srcOff, dst, dstOff, len);
            return;
        }
        // the caller's segment may belong to a confined arena: worker threads get a global-scope
        // view of the same range (valid: this method returns only after every part is copied)
        MemorySegment s = MemorySegment.ofAddress(src.address() + srcOff).reinterpret(len);
        MemorySegment d = MemorySegment.ofAddress(dst.address() + dstOff).reinterpret(len);
        src.asSlice(srcOff, len);   // bounds checks on the real segments before going unchecked
        dst.asSlice(dstOff, len);
        int threads = Integer.getInteger("liquid4j.cuda.stagingThreads", Math.min(8, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1));
        int parts = (int) Math.max(1, Math.min(threads, len / (256 << 10)));
        long step = (len / parts + 63) & ~63L;
        java.util.stream.IntStream.range(0, parts).parallel().forEach(i -> {
            long o = i * step, n = Math.min(step, len - o);
            if (n > 0) MemorySegment.copy(s, o, d, o, n);
        });
    }

    /**
     * Host → device. By default through two reusable page-locked buffers of {@link #STAGING_CHUNK}
     * bytes: chunk i is copied into buffer i%2 (on several threads when large) while the DMA of
     * chunk i−1 runs, so the transfer proceeds at the pinned rate instead of the driver's
     * pageable one. Returns once the data is on the device (the host segment may be freed).
     */
    @Override public void writeFromHost(MemorySegment host, Tensor dst) {
        requireContiguous("writeFromHost", dst);
        long bytes = dst.numel() * dst.dtype().byteSize();
        if (bytes == 0) return;
        long dptr = ptr(dst);
        synchronized (stagingLock) {
            if (!useStaging()) {
                drv.copyHtoDAsync(dptr, host, bytes, stream);
                drv.streamSynchronize(stream);
                return;
            }
            for (long off = 0, i = 0; off < bytes; off += STAGING_CHUNK, i++) {
                int b = (int) (i & 1);
                long len = Math.min(STAGING_CHUNK, bytes - off);
                if (i >= 2) drv.eventSynchronize(stagingEvents[b]);   // the DMA of chunk i−2 has left buffer b
                hostCopy(host, off, staging[b], 0, len);
                drv.copyHtoDAsync(dptr + off, staging[b], len, stream);
                drv.eventRecord(stagingEvents[b], stream);
            }
            drv.streamSynchronize(stream);
        }
    }

    /** Device → host, through the same pinned buffers: the DMA of chunk i overlaps the host copy of chunk i−1. */
    @Override public void readToHost(Tensor src, MemorySegment host) {
        requireContiguous("readToHost", src);
        long bytes = src.numel() * src.dtype().byteSize();
        if (bytes == 0) return;
        long sptr = ptr(src);
        synchronized (stagingLock) {
            if (!useStaging()) {
                drv.copyDtoHAsync(host, sptr, bytes, stream);
                drv.streamSynchronize(stream);
                return;
            }
            long chunks = (bytes + STAGING_CHUNK - 1) / STAGING_CHUNK;
            for (long i = 0; i <= chunks; i++) {
                if (i < chunks) {
                    int b = (int) (i & 1);
                    long off = i * STAGING_CHUNK;
                    drv.copyDtoHAsync(staging[b], sptr + off, Math.min(STAGING_CHUNK, bytes - off), stream);
                    drv.eventRecord(stagingEvents[b], stream);
                }
                if (i >= 1) {
                    int b = (int) ((i - 1) & 1);
                    long off = (i - 1) * STAGING_CHUNK;
                    drv.eventSynchronize(stagingEvents[b]);
                    hostCopy(staging[b], 0, host, off, Math.min(STAGING_CHUNK, bytes - off));
                }
            }
        }
    }

    // ---- elementwise ---------------------------------------------------------------------

    @Override public void unary(UnaryOp op, Tensor x, Tensor out, double p, double q) {
        long[] d = Dims.of(out.shape(), out.strides(), x.strides());
        launchElementwise("l4j_unary", out.numel(),
                k -> k.struct(d).i32(op.ordinal()).ptr(ptr(x)).i32(dt(x)).ptr(ptr(out)).i32(dt(out)).f64(p).f64(q));
    }

    @Override public void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor g, Tensor gi, double p, double q) {
        long[] d = Dims.of(gi.shape(), gi.strides(), x.strides(), y.strides(), g.strides());
        launchElementwise("l4j_unary_backward", gi.numel(), k -> k.struct(d).i32(op.ordinal()).ptr(ptr(x)).i32(dt(x))
                .ptr(ptr(y)).i32(dt(y)).ptr(ptr(g)).i32(dt(g)).ptr(ptr(gi)).i32(dt(gi)).f64(p).f64(q));
    }

    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        long[] d = Dims.of(out.shape(), out.strides(), a.strides(), b.strides());
        launchElementwise("l4j_binary", out.numel(), k -> k.struct(d).i32(op.ordinal()).ptr(ptr(a)).i32(dt(a))
                .ptr(ptr(b)).i32(dt(b)).ptr(ptr(out)).i32(dt(out)));
    }

    @Override public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        if (cond.dtype() != DType.U8 || a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("where needs a U8 condition and a, b of out's dtype");
        }
        long[] d = Dims.of(out.shape(), out.strides(), cond.strides(), a.strides(), b.strides());
        launchElementwise("l4j_where", out.numel(),
                k -> k.struct(d).ptr(ptr(cond)).ptr(ptr(a)).ptr(ptr(b)).ptr(ptr(out)).i32(out.dtype().byteSize()));
    }

    // ---- reductions ----------------------------------------------------------------------

    @Override public void reduce(ReduceOp op, Tensor x, int dim, Tensor out) {
        int nd = x.dim();
        int[] xs = x.shape();
        long[] xst = x.strides(), ost = out.strides();
        int[] shape = new int[Math.max(0, nd - 1)];
        long[] s0 = new long[shape.length], s1 = new long[shape.length];
        for (int d = 0, j = 0; d < nd; d++) {
            if (d == dim) continue;
            shape[j] = xs[d];
            s0[j] = xst[d];
            s1[j++] = ost[d];
        }
        long n = xs[dim], sk = xst[dim];
        long[] dd = Dims.of(shape, s0, s1);
        long outs = out.numel();
        if (outs == 0) return;
        if (n == 0) throw new IllegalArgumentException("reduction over an empty dim");
        boolean rowsMode = sk == 1 && n >= 32;
        if (rowsMode) {
            launch("l4j_reduce_rows", Math.min((outs + 7) / 8, 65535L * 8), THREADS, 0,
                    k -> k.struct(dd).i32(op.ordinal()).ptr(ptr(x)).i32(dt(x)).i64(n).i64(sk).ptr(ptr(out)).i32(dt(out)));
        } else {
            launchElementwise("l4j_reduce_cols", outs,
                    k -> k.struct(dd).i32(op.ordinal()).ptr(ptr(x)).i32(dt(x)).i64(n).i64(sk).ptr(ptr(out)).i32(dt(out)));
        }
    }

    // ---- linear algebra ------------------------------------------------------------------

    @Override public void matmul(Tensor a, Tensor w, Tensor out, boolean accumulate) {
        CudaLinear.matmul(this, a, w, out, accumulate);
    }

    /** Tensor cores: 16-bit GEMMs run natively. */
    @Override public boolean hasLowPrecisionGemm() { return true; }

    /** Low-precision GEMM on cuBLASLt (a and w both BF16 or both F16, f32 accumulation; out F32/BF16/F16 contiguous). */
    @Override public void matmulLowPrecision(Tensor a, Tensor w, Tensor out, boolean accumulate) {
        CudaLinear.matmulLowPrecision(this, a, w, out, accumulate);
    }

    /** The GEMM algorithms chosen so far, one line per problem (shape, types, layout → algorithm, timings). */
    public java.util.List<String> gemmChoices() { return gemm().choices(); }

    // ---- fused row kernels ---------------------------------------------------------------

    @Override public void softmax(Tensor x, Tensor out, boolean log) { rows.softmax(x, out, log); }

    @Override public void softmaxBackward(Tensor y, Tensor gy, Tensor gx, boolean log) { rows.softmaxBackward(y, gy, gx, log); }

    @Override public void rmsNorm(Tensor x, Tensor w, double eps, Tensor out, Tensor rstd) { rows.rmsNorm(x, w, eps, out, rstd); }

    @Override public void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor gy, Tensor gx, Tensor gw) {
        rows.rmsNormBackward(x, w, rstd, gy, gx, gw);
    }

    @Override public void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out, Tensor mean, Tensor rstd) {
        rows.layerNorm(x, w, b, eps, out, mean, rstd);
    }

    @Override public void layerNormBackward(Tensor x, Tensor w, Tensor mean, Tensor rstd, Tensor gy, Tensor gx, Tensor gw, Tensor gb) {
        rows.layerNormBackward(x, w, mean, rstd, gy, gx, gw, gb);
    }

    /**
     * Cross-entropy with z-loss: per-row loss and logsumexp (F32 [rows]) from logits [rows, V]
     * (F32/BF16) and integer targets. No host sync, so an out-of-range target id cannot throw
     * here: that row's loss is NaN (and so is the mean over the rows).
     */
    @Override public void attention(Tensor q, Tensor k, Tensor v, io.liquid4j.tensor.AttentionSpec spec, Tensor out, Tensor lse) {
        if (!attention.forward(q, k, v, spec, out, lse)) Backend.super.attention(q, k, v, spec, out, lse);
    }

    @Override public void attentionBackward(Tensor q, Tensor k, Tensor v, io.liquid4j.tensor.AttentionSpec spec, Tensor out, Tensor lse,
                                            Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        if (!attention.backward(q, k, v, spec, out, lse, gOut, gq, gk, gv)) {
            Backend.super.attentionBackward(q, k, v, spec, out, lse, gOut, gq, gk, gv);
        }
    }

    /**
     * The whole optimizer step in one launch of l4j_adamw_multi (optim.cu): a table of the slots'
     * pointers, dtypes, sizes and element offsets in the concatenated index space goes to the
     * device; each thread finds its slot by binary search over the offsets.
     */
    @Override public void adamwUpdateAll(java.util.List<io.liquid4j.tensor.F.AdamWSlot> slots, io.liquid4j.tensor.F.AdamWStep s) {
        long[] table = new long[9 * slots.size()];
        int count = 0;
        long total = 0;
        for (io.liquid4j.tensor.F.AdamWSlot slot : slots) {
            long n = slot.param().numel();
            if (n == 0) continue;
            long[] row = {ptr(slot.param()), dt(slot.param()), ptr(slot.grad()), dt(slot.grad()), ptr(slot.expAvg()), ptr(slot.expAvgSq()),
                slot.master() == null ? 0 : ptr(slot.master()), n, total};
            System.arraycopy(row, 0, table, 9 * count++, 9);
            total += n;
        }
        if (count == 0) return;
        int rows = count;
        long elements = total;
        try (io.liquid4j.tensor.TensorScope _ = io.liquid4j.tensor.TensorScope.open()) {
            Tensor t = Tensor.fromArray(java.util.Arrays.copyOf(table, 9 * rows), 9 * rows).to(device);
            launchElementwise("l4j_adamw_multi", elements, k -> k.ptr(ptr(t)).i32(rows).i64(elements)
                    .f32((float) (1 - s.lr() * s.weightDecay())).f32((float) s.beta1()).f32((float) s.beta2())
                    .f32((float) (1 - s.beta1())).f32((float) (1 - s.beta2())).f32((float) s.eps())
                    .f32((float) Math.sqrt(s.biasCorrection2())).f32((float) (s.lr() / s.biasCorrection1())).i32(s.weightDecay() != 0 ? 1 : 0));
        }
    }

    /** F.rope in one pass (rope.cu) when x and the tables have unit last stride; otherwise the reference. */
    @Override public void rope(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        if (x.stride(3) != 1 || cos.stride(3) != 1 || !java.util.Arrays.equals(cos.strides(), sin.strides()) || !out.isContiguous()) {
            Backend.super.rope(x, cos, sin, inverse, out);
            return;
        }
        long half = x.size(3) / 2, n = x.numel() / 2;
        long csb = cos.size(0) == 1 ? 0 : cos.stride(0);
        launchElementwise("l4j_rope", n, k -> k.ptr(ptr(x)).i32(dt(x)).i64(x.stride(0)).i64(x.stride(1)).i64(x.stride(2))
                .ptr(ptr(cos)).ptr(ptr(sin)).i64(csb).i64(cos.stride(2)).ptr(ptr(out)).i32(dt(out))
                .i64(x.size(1)).i64(x.size(2)).i64(half).i64(n).i32(inverse ? 1 : 0));
    }

    /**
     * Quantized y = x·Wᵀ (quant.cu): up to 8 rows of x take l4j_qgemv (one warp per W row, codes
     * decoded in registers); more rows dequantize W on the device into an F32 scratch for cuBLASLt.
     */
    @Override public void matmulQuantized(Tensor x, io.liquid4j.tensor.QuantizedWeight w, Tensor out) {
        requireF32Contiguous("matmulQuantized", x, out);
        int m = x.size(0), k = w.cols();
        long n = w.rows();
        int q4 = w.format() == io.liquid4j.tensor.QuantFormat.Q4_0 ? 1 : 0;
        if (m <= 8) {
            launch("l4j_qgemv", (n + 3) / 4, 128, 0, a -> a.ptr(ptr(x)).ptr(ptr(w.codes())).ptr(ptr(w.scales())).ptr(ptr(out))
                    .i32(m).i64(n).i32(k).i32(q4));
            return;
        }
        try (io.liquid4j.tensor.TensorScope _ = io.liquid4j.tensor.TensorScope.open()) {
            Tensor wf = Tensor.empty(DType.F32, device, (int) n, k);
            launchElementwise("l4j_dequant", n * k, a -> a.ptr(ptr(w.codes())).ptr(ptr(w.scales())).ptr(ptr(wf)).i64(n).i32(k).i32(q4));
            matmul(x.unsqueeze(0), wf.t().unsqueeze(0), out.unsqueeze(0), false);
        }
    }

    @Override public void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor loss, Tensor lse) {
        rows.crossEntropy(logits, targets, ignoreIndex, zLoss, loss, lse);
    }

    /**
     * dlogits = g·(softmax·(1 + 2z·lse) − onehot); grad may be logits itself (in place). gLoss F32
     * [rows] or a 1-element scalar. A row with an out-of-range target gets a NaN gradient row.
     */
    @Override public void crossEntropyBackward(Tensor logits, Tensor targets, long ignoreIndex, double zLoss, Tensor lse, Tensor gLoss, Tensor grad) {
        rows.crossEntropyBackward(logits, targets, ignoreIndex, zLoss, lse, gLoss, grad);
    }

    // ---- indexing and convolution helpers ------------------------------------------------

    @Override public void indexSelect(Tensor x, int dim, Tensor idx, Tensor out) { indexing.indexSelect(x, dim, idx, out); }

    @Override public void indexAdd(Tensor dst, int dim, Tensor idx, Tensor src) { indexing.indexAdd(dst, dim, idx, src); }

    @Override public void gather(Tensor x, int dim, Tensor idx, Tensor out) { indexing.gather(x, dim, idx, out); }

    @Override public void scatterAdd(Tensor dst, int dim, Tensor idx, Tensor src) { indexing.scatterAdd(dst, dim, idx, src); }

    @Override public void im2col(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, Tensor cols) {
        indexing.im2col(x, kh, kw, sh, sw, ph, pw, cols);
    }

    @Override public void col2im(Tensor cols, int kh, int kw, int sh, int sw, int ph, int pw, Tensor x) {
        indexing.col2im(cols, kh, kw, sh, sw, ph, pw, x);
    }

    // ---- fused ops (the others inherit Backend's composed references) --------------------

    @Override public void conv2dForward(Tensor x, Tensor w, Tensor b, int sh, int sw, int ph, int pw, Tensor out) {
        if (CudaConv.suitsShifted(x.size(1), w.size(2), w.size(3), sh, sw)) CudaConv.shifted(this, x, w, b, ph, pw, out);
        else Backend.super.conv2dForward(x, w, b, sh, sw, ph, pw, out);
    }

    static void requireContiguous(String op, Tensor t) {
        if (!t.isContiguous()) throw new IllegalArgumentException(op + " needs a contiguous tensor, got " + t.describe());
    }

    static void requireF32Contiguous(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && (t.dtype() != DType.F32 || !t.isContiguous())) {
                throw new IllegalArgumentException(op + " kernel needs contiguous F32 tensors, got " + t.describe());
            }
        }
    }
}
