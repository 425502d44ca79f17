package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.tensor.Backend;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.BinaryOp;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.ReduceOp;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.UnaryOp;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Every Backend op on cuda:0 against the CPU reference, at odd shapes, with non-contiguous views. */
@Tag("gpu")
class CudaParityTest {
    static final Device GPU = Device.cuda(0);
    Backend cpu, gpu;
    TensorScope scope;

    @BeforeEach
    void setUp() {
        assumeTrue(Backends.isAvailable(GPU), "no CUDA device: " + Backends.cudaUnavailableReason());
        cpu = Backends.of(Device.CPU);
        gpu = Backends.of(GPU);
        scope = TensorScope.open();
    }

    @AfterEach
    void tearDown() { if (scope != null) scope.close(); }

    /** A random tensor on the CPU and its copy on the GPU. */
    record Pair(Tensor c, Tensor g) {
        Pair map(Function<Tensor, Tensor> f) { return new Pair(f.apply(c), f.apply(g)); }
    }

    Pair rand(DType t, long seed, int... shape) {
        Tensor c = Tensor.randn(new Generator(seed), DType.F32, Device.CPU, shape).to(t);
        return new Pair(c, c.to(GPU));
    }

    Pair empty(DType t, int... shape) { return new Pair(Tensor.empty(t, Device.CPU, shape), Tensor.empty(t, GPU, shape)); }

    Pair zeros(DType t, int... shape) { return new Pair(Tensor.zeros(t, Device.CPU, shape), Tensor.zeros(t, GPU, shape)); }

    static void close(Pair p, double tol) {
        float[] a = p.c.toFloatArray(), b = p.g.toFloatArray();
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) && Float.isNaN(b[i])) continue;
            double d = Math.abs(a[i] - b[i]);
            assertTrue(d <= tol * (1 + Math.abs(a[i])), "element " + i + ": cpu " + a[i] + " gpu " + b[i]);
        }
    }

    @Test
    void copyCastsAndViews() {
        for (DType from : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (DType to : DType.values()) {
                Pair x = rand(from, 1, 7, 13).map(t -> t.transpose(0, 1));
                Pair y = empty(to, 13, 7);
                cpu.copy(x.c, y.c);
                gpu.copy(x.g, y.g);
                close(y, 0);
            }
        }
    }

    @Test
    void fillArangeRandomMatchExactly() {
        Pair f = empty(DType.BF16, 5, 9);
        cpu.fill(f.c, 1.7);
        gpu.fill(f.g, 1.7);
        close(f, 0);
        Pair a = empty(DType.I64, 37);
        cpu.arange(a.c, 3, 2.5);
        gpu.arange(a.g, 3, 2.5);
        assertArrayEquals(a.c.toLongArray(), a.g.toLongArray());
        for (boolean normal : new boolean[] {false, true}) {
            Pair r = empty(DType.F32, 1001);
            cpu.random(r.c, normal, 42, 7, 0.5, 2);
            gpu.random(r.g, normal, 42, 7, 0.5, 2);
            close(r, normal ? 1e-6 : 0);
        }
    }

    @Test
    void unaryAndBackward() {
        for (UnaryOp op : UnaryOp.values()) {
            Pair x = rand(DType.F32, 3, 33, 17).map(t -> t.transpose(0, 1));
            if (op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW) x = x.map(t -> t.abs().add(0.1));
            Pair y = empty(DType.F32, 17, 33), g = rand(DType.F32, 4, 17, 33), gi = empty(DType.F32, 17, 33);
            cpu.unary(op, x.c, y.c, 1.5, 0.7);
            gpu.unary(op, x.g, y.g, 1.5, 0.7);
            close(y, 2e-6);
            cpu.unaryBackward(op, x.c, y.c, g.c, gi.c, 1.5, 0.7);
            gpu.unaryBackward(op, x.g, y.g, g.g, gi.g, 1.5, 0.7);
            close(gi, 2e-6);
        }
    }

    @Test
    void binaryBroadcastAndWhere() {
        for (BinaryOp op : BinaryOp.values()) {
            Pair a = rand(DType.F32, 5, 9, 31), b = rand(DType.BF16, 6, 1, 31).map(t -> t.expand(9, 31));
            Pair o = empty(op.isComparison() ? DType.U8 : DType.F32, 9, 31);
            cpu.binary(op, a.c, b.c, o.c);
            gpu.binary(op, a.g, b.g, o.g);
            close(o, 1e-6);
        }
        Pair ia = rand(DType.F32, 7, 50).map(t -> t.mul(100).to(DType.I64)), ib = rand(DType.F32, 8, 50).map(t -> t.mul(100).to(DType.I64));
        Pair io = empty(DType.I64, 50);
        cpu.binary(BinaryOp.MUL, ia.c, ib.c, io.c);
        gpu.binary(BinaryOp.MUL, ia.g, ib.g, io.g);
        assertArrayEquals(io.c.toLongArray(), io.g.toLongArray());
        Pair a = rand(DType.F32, 9, 6, 11), b = rand(DType.F32, 10, 6, 11), cond = empty(DType.U8, 6, 11);
        cpu.binary(BinaryOp.GT, a.c, b.c, cond.c);
        gpu.binary(BinaryOp.GT, a.g, b.g, cond.g);
        Pair o = empty(DType.F32, 6, 11);
        cpu.where(cond.c, a.c, b.c, o.c);
        gpu.where(cond.g, a.g, b.g, o.g);
        close(o, 0);
    }

    @Test
    void reductionsAlongEveryDim() {
        Pair x = rand(DType.F32, 11, 5, 67, 3);
        for (int dim = 0; dim < 3; dim++) {
            for (ReduceOp op : ReduceOp.values()) {
                int[] s = x.c.shape();
                s[dim] = 1;
                DType ot = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN ? DType.I64 : DType.F32;
                Pair o = empty(ot, s);
                cpu.reduce(op, x.c, dim, o.c);
                gpu.reduce(op, x.g, dim, o.g);
                close(o, 1e-5);
            }
        }
        Pair t = rand(DType.BF16, 12, 40, 70).map(v -> v.transpose(0, 1));
        Pair o = empty(DType.F32, 70, 1);
        cpu.reduce(ReduceOp.SUM, t.c, 1, o.c);
        gpu.reduce(ReduceOp.SUM, t.g, 1, o.g);
        close(o, 1e-5);
    }

    @Test
    void matmulLayoutsAndDtypes() {
        for (DType wt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (boolean transW : new boolean[] {false, true}) {
                Pair a = rand(DType.F32, 13, 3, 37, 29);
                Pair w = transW ? rand(wt, 14, 3, 19, 29).map(t -> t.transpose(1, 2)) : rand(wt, 14, 3, 29, 19);
                Pair o = rand(DType.F32, 15, 3, 37, 19);
                cpu.matmul(a.c, w.c, o.c, true);
                gpu.matmul(a.g, w.g, o.g, true);
                close(o, 1e-4);
            }
        }
        Pair a = rand(DType.F32, 16, 2, 37, 29).map(t -> t.transpose(1, 2));   // [2,29,37] transposed view
        Pair w = rand(DType.F32, 17, 1, 37, 5).map(t -> t.expand(2, 37, 5));   // shared weights, batch stride 0
        Pair o = empty(DType.F32, 2, 29, 5);
        cpu.matmul(a.c, w.c, o.c, false);
        gpu.matmul(a.g, w.g, o.g, false);
        close(o, 1e-4);
    }

    @Test
    void softmaxAndNorms() {
        for (int n : new int[] {1, 7, 33, 1000, 5000, 13000}) {
            for (boolean log : new boolean[] {false, true}) {
                Pair x = rand(DType.F32, 20, 6, n), y = empty(DType.F32, 6, n);
                cpu.softmax(x.c, y.c, log);
                gpu.softmax(x.g, y.g, log);
                close(y, 1e-5);
                Pair gy = rand(DType.F32, 21, 6, n), gx = empty(DType.F32, 6, n);
                cpu.softmaxBackward(y.c, gy.c, gx.c, log);
                gpu.softmaxBackward(y.g, gy.g, gx.g, log);
                close(gx, 1e-4);
            }
            Pair x = rand(DType.F32, 22, 5, n), w = rand(DType.BF16, 23, n), b = rand(DType.F32, 24, n);
            Pair out = empty(DType.F32, 5, n), rstd = empty(DType.F32, 5, 1), mean = empty(DType.F32, 5, 1);
            cpu.rmsNorm(x.c, w.c, 1e-6, out.c, rstd.c);
            gpu.rmsNorm(x.g, w.g, 1e-6, out.g, rstd.g);
            close(out, 1e-5);
            close(rstd, 1e-5);
            Pair gy = rand(DType.F32, 25, 5, n), gx = empty(DType.F32, 5, n), gw = zeros(DType.F32, n), gb = zeros(DType.F32, n);
            cpu.rmsNormBackward(x.c, w.c, rstd.c, gy.c, gx.c, gw.c);
            gpu.rmsNormBackward(x.g, w.g, rstd.g, gy.g, gx.g, gw.g);
            close(gx, 1e-4);
            close(gw, 1e-4);
            cpu.layerNorm(x.c, w.c, b.c, 1e-5, out.c, mean.c, rstd.c);
            gpu.layerNorm(x.g, w.g, b.g, 1e-5, out.g, mean.g, rstd.g);
            close(out, 1e-4);
            gw = zeros(DType.F32, n);
            cpu.layerNormBackward(x.c, w.c, mean.c, rstd.c, gy.c, gx.c, gw.c, gb.c);
            gpu.layerNormBackward(x.g, w.g, mean.g, rstd.g, gy.g, gx.g, gw.g, gb.g);
            close(gx, 1e-4);
            close(gw, 1e-4);
            close(gb, 1e-4);
        }
    }

    @Test
    void indexingOps() {
        Pair x = rand(DType.F32, 30, 11, 6);
        long[] iv = {3, 0, 10, 3, 7};
        Pair idx = new Pair(Tensor.fromArray(iv, 5), Tensor.fromArray(iv, 5).to(GPU));
        for (int dim = 0; dim < 1; dim++) {
            Pair o = empty(DType.F32, 5, 6);
            cpu.indexSelect(x.c, 0, idx.c, o.c);
            gpu.indexSelect(x.g, 0, idx.g, o.g);
            close(o, 0);
        }
        Pair xt = x.map(t -> t.transpose(0, 1));   // [6, 11], select along dim 1
        Pair o2 = empty(DType.F32, 6, 5);
        cpu.indexSelect(xt.c, 1, idx.c, o2.c);
        gpu.indexSelect(xt.g, 1, idx.g, o2.g);
        close(o2, 0);
        Pair dst = zeros(DType.F32, 11, 6), src = rand(DType.F32, 31, 5, 6);
        cpu.indexAdd(dst.c, 0, idx.c, src.c);
        gpu.indexAdd(dst.g, 0, idx.g, src.g);
        close(dst, 1e-6);
        long[] gv = new long[4 * 6];
        for (int i = 0; i < gv.length; i++) gv[i] = (i * 7) % 11;
        Pair gi = new Pair(Tensor.fromArray(gv, 4, 6), Tensor.fromArray(gv, 4, 6).to(GPU));
        Pair go = empty(DType.F32, 4, 6);
        cpu.gather(x.c, 0, gi.c, go.c);
        gpu.gather(x.g, 0, gi.g, go.g);
        close(go, 0);
        Pair sd = zeros(DType.F32, 11, 6), ss = rand(DType.F32, 32, 4, 6);
        cpu.scatterAdd(sd.c, 0, gi.c, ss.c);
        gpu.scatterAdd(sd.g, 0, gi.g, ss.g);
        close(sd, 1e-6);
        Tensor bad = Tensor.fromArray(new long[] {2, 11}, 2).to(GPU);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> gpu.indexSelect(x.g, 0, bad, Tensor.empty(DType.F32, GPU, 2, 6)));
        assertTrue(e.getMessage().contains("index 11"), e.getMessage());
    }

    @Test
    void im2colCol2im() {
        Pair x = rand(DType.F32, 40, 2, 3, 9, 7);
        int kh = 3, kw = 2, sh = 2, sw = 1, ph = 1, pw = 1;
        int oh = (9 + 2 - 3) / 2 + 1, ow = (7 + 2 - 2) + 1;
        Pair cols = empty(DType.F32, 2, 3 * kh * kw, oh * ow);
        cpu.im2col(x.c, kh, kw, sh, sw, ph, pw, cols.c);
        gpu.im2col(x.g, kh, kw, sh, sw, ph, pw, cols.g);
        close(cols, 0);
        Pair back = empty(DType.F32, 2, 3, 9, 7);
        cpu.col2im(cols.c, kh, kw, sh, sw, ph, pw, back.c);
        gpu.col2im(cols.g, kh, kw, sh, sw, ph, pw, back.g);
        close(back, 1e-6);
    }

    @Test
    void crossEntropyMatchesLogSoftmax() {
        int rows = 5, v = 3001;
        Pair x = rand(DType.F32, 50, rows, v);
        long[] tv = {0, 3000, 17, -100, 42};
        Tensor tg = Tensor.fromArray(tv, rows).to(GPU);
        CudaBackend cb = CudaBackend.get();
        Tensor loss = Tensor.empty(DType.F32, GPU, rows), lse = Tensor.empty(DType.F32, GPU, rows);
        cb.crossEntropy(x.g, tg, -100, 1e-4, loss, lse);
        Tensor ls = Tensor.empty(DType.F32, Device.CPU, rows, v);
        cpu.softmax(x.c, ls, true);
        float[] l = loss.toFloatArray(), lsv = ls.toFloatArray(), z = lse.toFloatArray(), xv = x.c.toFloatArray();
        for (int r = 0; r < rows; r++) {
            double want = tv[r] < 0 ? 0 : -lsv[(int) (r * v + tv[r])] + 1e-4 * z[r] * z[r];
            assertEquals(want, l[r], 1e-4, "row " + r);
            assertEquals(xv[r * v] - lsv[r * v], z[r], 1e-4);
        }
        Tensor grad = Tensor.empty(DType.F32, GPU, rows, v);
        cb.crossEntropyBackward(x.g, tg, -100, 0, lse, Tensor.full(1, DType.F32, GPU, 1), grad);
        float[] gv = grad.toFloatArray();
        assertEquals(Math.exp(lsv[0]) - 1, gv[0], 1e-5);
        assertEquals(0, gv[3 * v + 5], 0);
    }

    @Test
    void allocatorReusesBlocksAndReportsStats() {
        CudaAllocator a = CudaBackend.get().allocator();
        long before = a.allocatedBytes();
        long p = a.allocate(3000);
        assertEquals(before + SizeClasses.roundUp(3000), a.allocatedBytes());
        a.free(p, 3000);
        assertEquals(p, a.allocate(2900));   // same class → the cached block comes back
        a.free(p, 2900);
        assertTrue(a.reservedBytes() >= a.allocatedBytes());
        assertTrue(a.peakBytes() >= a.allocatedBytes());
        CudaException oom = assertThrows(CudaException.class, () -> a.allocate(1L << 50));
        assertTrue(oom.getMessage().contains("free of"), oom.getMessage());
    }

    @Test
    void graphCaptureReplays() {
        CudaBackend cb = CudaBackend.get();
        CudaDriver d = cb.driver();
        Tensor x = Tensor.full(1, DType.F32, GPU, 1000), y = Tensor.zeros(DType.F32, GPU, 1000);
        cb.synchronize();
        d.beginCapture(cb.stream(), 2);
        gpu.binary(BinaryOp.ADD, y, x, y);
        long graph = d.endCapture(cb.stream());
        long exec = d.graphInstantiate(graph);
        for (int i = 0; i < 5; i++) d.graphLaunch(exec, cb.stream());
        cb.synchronize();
        assertEquals(5f, y.toFloatArray()[999]);
        d.graphExecDestroy(exec);
        d.graphDestroy(graph);
    }
}
