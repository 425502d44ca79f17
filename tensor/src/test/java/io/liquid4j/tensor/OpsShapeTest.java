package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OpsShapeTest {
    static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    /** Reference permute of a row-major array. */
    static double[] permuteRef(float[] x, int[] shape, int[] perm) {
        int[] os = new int[perm.length];
        for (int i = 0; i < perm.length; i++) os[i] = shape[perm[i]];
        int[] st = strides(shape);
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int[] c = coords(i, os);
            int at = 0;
            for (int d = 0; d < perm.length; d++) at += c[d] * st[perm[d]];
            r[i] = x[at];
        }
        return r;
    }

    @Test
    void creation() {
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, Tensor.arange(5).toLongArray());
        assertEquals(DType.I64, Tensor.arange(5).dtype());
        assertArrayEquals(new float[] {2, 3, 4}, Tensor.arange(2, 5, DType.F32, Device.CPU).toFloatArray());
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f}, Tensor.arange(0, 1, 0.25, DType.F32, Device.CPU).toFloatArray());
        assertArrayEquals(new float[] {5, 3, 1}, Tensor.arange(5, 0, -2, DType.F32, Device.CPU).toFloatArray());
        assertEquals(3, Tensor.arange(0, 0.3, 0.1, DType.F32, Device.CPU).numel());
        assertEquals(0, Tensor.arange(3, 1, 1, DType.I64, Device.CPU).numel());
        assertArrayEquals(new int[] {-3, -1, 1}, Tensor.arange(-3, 2, 2, DType.I32, Device.CPU).toIntArray());
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0, DType.F32, Device.CPU));
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f}, Tensor.full(2.5, DType.F32, 3).toFloatArray());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2).toFloatArray());
        assertArrayEquals(new float[] {0, 0}, Tensor.zeros(DType.BF16, 2).toFloatArray());
        assertShape(Tensor.scalar(4));
        assertEquals(4, Tensor.scalar(4).item());
        Tensor t = tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t();
        assertShape(t.zerosLike(), 3, 2);
        assertTrue(t.zerosLike().isContiguous());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, t.onesLike().toFloatArray());
        assertEquals(DType.I64, Tensor.fromArray(new long[] {1}, 1).emptyLike().dtype());
        assertArrayEquals(new float[] {1.5f, -2}, Tensor.fromArray(new double[] {1.5, -2}, 2).toFloatArray());
        assertShape(Tensor.empty(DType.F32, 0, 4), 0, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[] {1, 2, 3}, 2, 2));
        assertTrue(e.getMessage().contains("do not fill"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.empty(DType.F32, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> t.get(0));
        assertThrows(IllegalStateException.class, () -> t.item());
        assertTrue(Tensor.zeros(2).to(Device.CPU) != null);
        Tensor cpu = Tensor.zeros(2);
        assertTrue(cpu.to(Device.CPU) == cpu);
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(2).to(Device.cuda(0)));
        assertEquals(3, tensor(new float[] {1, 2, 3, 4}, 2, 2).get(-1, 0));
        assertTrue(t.toString().contains("F32[3, 2]"), t.toString());
    }

    @Test
    void permuteTransposeAndT() {
        int[] shape = {2, 3, 4, 5};
        float[] x = iota(120);
        Tensor t = tensor(x, shape);
        int[][] perms = {{3, 2, 1, 0}, {0, 2, 1, 3}, {1, 3, 0, 2}, {-1, 0, 1, 2}};
        for (int[] p : perms) {
            int[] pn = p.clone();
            for (int i = 0; i < 4; i++) if (pn[i] < 0) pn[i] += 4;
            Tensor r = t.permute(p);
            assertExact(permuteRef(x, shape, pn), r, "permute " + java.util.Arrays.toString(p));
            assertExact(permuteRef(x, shape, pn), r.contiguous(), "permute+contiguous");
            assertTrue(r.contiguous().isContiguous());
        }
        assertExact(permuteRef(x, shape, new int[] {0, 3, 2, 1}), t.transpose(1, -1), "transpose");
        Tensor m = tensor(iota(6), 2, 3);
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, m.t().contiguous().toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, m.t().t().toFloatArray());
        assertThrows(IllegalStateException.class, () -> t.t());
        assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1, 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.permute(0, 1, 2, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> t.transpose(0, 4));
    }

    @Test
    void reshapeViewsShareStorageAndCopiesWhenNeeded() {
        Tensor t = tensor(iota(24), 2, 3, 4);
        Tensor v = t.view(6, -1);
        assertShape(v, 6, 4);
        v.narrow(0, 0, 1).fill(-1);               // writes through to t
        assertEquals(-1, t.get(0, 0, 3));
        assertShape(t.reshape(-1), 24);
        assertShape(t.flatten(), 24);
        assertShape(t.flatten(1, 2), 2, 12);
        assertShape(t.flatten(0, 1), 6, 4);
        assertShape(t.reshape(4, 1, 6, 1), 4, 1, 6, 1);
        // a transposed view cannot be viewed flat; reshape copies with the logical order
        Tensor tr = tensor(iota(12), 3, 4).t();
        var e = assertThrows(IllegalStateException.class, () -> tr.view(12));
        assertTrue(e.getMessage().contains("reshape"), e.getMessage());
        double[] ref = permuteRef(iota(12), new int[] {3, 4}, new int[] {1, 0});
        assertExact(ref, tr.reshape(12), "reshape of transposed");
        assertExact(ref, tr.reshape(2, 6), "reshape of transposed to 2x6");
        Tensor copy = tr.reshape(12);
        copy.fill(7);
        assertEquals(4, tr.get(0, 1), "reshape copy of a non-viewable tensor must not alias");
        // a transposed view can still split or merge dims that stay contiguous: [4,3] with strides [1,4] -> [2,2,3]
        Tensor split = tr.view(2, 2, 3);
        assertExact(ref, split, "split transposed dim");
        split.narrow(0, 0, 1).narrow(1, 0, 1).narrow(2, 0, 1).fill(100);
        assertEquals(100, tr.get(0, 0), "view must alias");
    }

    @Test
    void reshapeOfSteppedViews() {
        Tensor base = tensor(iota(4 * 3 * 2), 4, 3, 2);
        Tensor stepped = base.slice(0, 0, 4, 2);                      // [2,3,2], strides [12,2,1]
        double[] ref = new double[12];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 6; j++) ref[i * 6 + j] = i * 12 + j;
        Tensor v = stepped.view(2, 6);
        assertExact(ref, v, "view of stepped");
        assertExact(ref, stepped.reshape(12), "reshape(copy) of stepped");
        // a size-1 dim in the middle of a mergeable run must not stop the view
        Tensor withOne = stepped.unsqueeze(2);                          // [2,3,1,2]
        Tensor v2 = withOne.view(2, 6);
        assertExact(ref, v2, "view through a size-1 dim");
        v2.narrow(1, 5, 1).fill(-5);
        assertEquals(-5, base.get(2, 2, 1), "view through a size-1 dim must alias the base");
        Tensor base2 = tensor(iota(4 * 3 * 2), 4, 3, 2);
        Tensor v3 = base2.narrow(2, 1, 1).view(4, 3);                  // [4,3,1] strides [6,2,1] -> [4,3]
        assertExact(new double[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, v3, "narrow last dim");
        v3.narrow(0, 3, 1).fill(0);
        assertEquals(0, base2.get(3, 2, 1), "view of a narrowed tensor aliases");
    }

    /** Random factorisation of n into up to 5 dims, sprinkled with size-1 dims. */
    static int[] randomShape(java.util.Random r, int n) {
        java.util.List<Integer> dims = new java.util.ArrayList<>();
        int rest = n;
        for (int p = 2; p <= rest; p++) {
            while (rest % p == 0) {
                dims.add(p);
                rest /= p;
            }
        }
        // merge random neighbours, then insert ones
        while (dims.size() > 1 && r.nextInt(3) > 0) {
            int i = r.nextInt(dims.size() - 1);
            dims.set(i, dims.get(i) * dims.remove(i + 1));
        }
        java.util.Collections.shuffle(dims, r);
        for (int k = r.nextInt(3); k > 0; k--) dims.add(r.nextInt(dims.size() + 1), 1);
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void randomReshapesOfRandomViews() {
        java.util.Random r = new java.util.Random(99);
        int views = 0;
        for (int iter = 0; iter < 400; iter++) {
            try (var _ = TensorScope.open()) {
                int[] bs = {1 + r.nextInt(4), 1 + r.nextInt(4), 1 + r.nextInt(4), 1 + r.nextInt(3)};
                Tensor base = tensor(iota((int) Tensor.numel(bs)), bs);
                Tensor v = base;
                for (int op = r.nextInt(4); op >= 0; op--) {
                    int d = r.nextInt(v.dim());
                    switch (r.nextInt(4)) {
                        case 0 -> {
                            int n = v.size(d);
                            int st = r.nextInt(n), step = 1 + r.nextInt(2);
                            v = v.slice(d, st, n, step);
                        }
                        case 1 -> {
                            int[] p = new int[v.dim()];
                            for (int i = 0; i < p.length; i++) p[i] = i;
                            int e = r.nextInt(v.dim());
                            p[d] = e;
                            p[e] = d;
                            v = v.permute(p);
                        }
                        case 2 -> v = v.unsqueeze(r.nextInt(v.dim() + 1));
                        default -> { if (v.size(d) == 1 && v.dim() > 1) v = v.squeeze(d); }
                    }
                }
                int n = (int) v.numel();
                if (n == 0) continue;
                float[] ref = v.contiguous().toFloatArray();
                int[] target = randomShape(r, n);
                Tensor rs = v.reshape(target);
                assertShape(rs, target);
                assertArrayEquals(ref, rs.toFloatArray(), "reshape " + java.util.Arrays.toString(v.shape()) + " strides "
                        + java.util.Arrays.toString(v.strides()) + " -> " + java.util.Arrays.toString(target));
                Tensor vw;
                try {
                    vw = v.view(target);
                } catch (IllegalStateException e) {
                    assertFalse(v.isContiguous(), "a contiguous tensor must always view");
                    continue;
                }
                views++;
                assertArrayEquals(ref, vw.toFloatArray(), "view values");
                vw.fill(-1);     // a view aliases: every element of v changes
                for (float x : v.toFloatArray()) assertEquals(-1f, x, "view must alias its source");
            }
        }
        assertTrue(views > 150, "only " + views + " of 400 reshapes were views");
    }

    @Test
    void reshapeErrors() {
        Tensor t = Tensor.zeros(2, 3);
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(-2, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(-1, 3));
        assertShape(Tensor.zeros(0, 3).reshape(3, 0), 3, 0);
        assertShape(Tensor.scalar(3).reshape(1, 1), 1, 1);
        assertShape(Tensor.zeros(1, 1).reshape(), new int[0]);
    }

    @Test
    void narrowSliceSelect() {
        float[] x = iota(7 * 9);
        Tensor t = tensor(x, 7, 9);
        Tensor s = t.slice(1, 1, 8, 3);                 // cols 1, 4, 7
        assertShape(s, 7, 3);
        double[] ref = new double[21];
        for (int i = 0; i < 7; i++) for (int j = 0; j < 3; j++) ref[i * 3 + j] = i * 9 + 1 + 3 * j;
        assertExact(ref, s, "slice step 3");
        assertExact(ref, s.contiguous(), "slice step 3 contiguous");
        Tensor s2 = t.slice(0, -3, 7, 2);                // rows 4, 6
        assertShape(s2, 2, 9);
        assertEquals(4 * 9, s2.get(0, 0));
        assertEquals(6 * 9 + 8, s2.get(1, -1 + 9));
        assertShape(t.slice(1, 2, -2, 1), 7, 5);
        assertShape(t.slice(0, 3, 3, 1), 0, 9);
        assertShape(t.narrow(0, 2, 3), 3, 9);
        assertEquals(2 * 9 + 5, t.narrow(0, 2, 3).get(0, 5));
        assertArrayEquals(new float[] {3, 12, 21, 30, 39, 48, 57}, t.select(1, 3).toFloatArray());
        assertArrayEquals(new float[] {54, 55, 56, 57, 58, 59, 60, 61, 62}, t.select(0, -1).toFloatArray());
        // nested: slice of a transpose
        Tensor nt = t.t().slice(1, 0, 7, 2).select(0, 2);     // column 2, rows 0,2,4,6
        assertArrayEquals(new float[] {2, 20, 38, 56}, nt.toFloatArray());
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(0, 0, 8, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(0, 5, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> t.slice(0, 0, 3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.narrow(1, 8, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.select(0, 7));
        assertThrows(IndexOutOfBoundsException.class, () -> t.select(0, -8));
        assertThrows(IndexOutOfBoundsException.class, () -> t.select(2, 0));
    }

    @Test
    void unsqueezeSqueezeExpand() {
        Tensor t = tensor(new float[] {1, 2, 3}, 3);
        assertShape(t.unsqueeze(0), 1, 3);
        assertShape(t.unsqueeze(1), 3, 1);
        assertShape(t.unsqueeze(-1), 3, 1);
        assertShape(t.unsqueeze(0).squeeze(0), 3);
        assertThrows(IllegalArgumentException.class, () -> t.squeeze(0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.unsqueeze(2));
        Tensor e = t.unsqueeze(1).expand(3, 4);
        assertArrayEquals(new float[] {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}, e.contiguous().toFloatArray());
        assertEquals(0, e.stride(1));
        Tensor e2 = t.expand(2, -1);
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, e2.toFloatArray());
        Tensor e3 = Tensor.scalar(5).expand(2, 2);
        assertArrayEquals(new float[] {5, 5, 5, 5}, e3.toFloatArray());
        // expand of an expanded transposed view
        Tensor tv = tensor(new float[] {1, 2}, 2, 1).t().expand(3, 2).t();   // [2,3]
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2}, tv.contiguous().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> t.expand(4));
        assertThrows(IllegalArgumentException.class, () -> t.expand(3, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> t.expand(-1, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).expand(3));
    }

    @Test
    void contiguousCloneDetach() {
        Tensor t = tensor(iota(12), 3, 4);
        assertTrue(t.contiguous() == t, "contiguous of a contiguous tensor is itself");
        Tensor c = t.clone();
        c.fill(0);
        assertEquals(5, t.get(1, 1), "clone must not alias");
        Tensor d = t.detach();
        d.narrow(0, 1, 1).fill(-1);
        assertEquals(-1, t.get(1, 1), "detach aliases");
        assertFalse(d.requiresGrad());
        // complex view: permute + step slice + expand -> contiguous
        Tensor base = tensor(iota(2 * 3 * 4), 2, 3, 4);
        Tensor v = base.permute(2, 0, 1).slice(0, 1, 4, 2).unsqueeze(1).expand(2, 3, 2, 3);   // [2(k=1,3), 3, 2(i), 3(j)]
        Tensor vc = v.contiguous();
        assertTrue(vc.isContiguous());
        float[] got = vc.toFloatArray();
        int at = 0;
        for (int k : new int[] {1, 3}) for (int r = 0; r < 3; r++) for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) {
            assertEquals(i * 12 + j * 4 + k, got[at++]);
        }
        assertArrayEquals(got, v.clone().toFloatArray());
    }

    @Test
    void catStackAlongEveryDimWithNonContiguousInputs() {
        Tensor a = tensor(uniform(1, 12, -1, 1), 3, 4);
        Tensor b = tensor(uniform(2, 20, -1, 1), 4, 5).t().narrow(0, 0, 3);   // non-contiguous [3,4]... [5,4]->[3,4]
        assertShape(b, 3, 4);
        Tensor c = tensor(uniform(3, 4, -1, 1), 1, 4).expand(3, 4);           // expanded
        float[] av = a.toFloatArray(), bv = b.toFloatArray(), cv = c.toFloatArray();
        Tensor r0 = Tensor.cat(0, a, b, c);
        assertShape(r0, 9, 4);
        double[] e0 = new double[36];
        for (int i = 0; i < 12; i++) {
            e0[i] = av[i];
            e0[12 + i] = bv[i];
            e0[24 + i] = cv[i];
        }
        assertExact(e0, r0, "cat dim 0");
        Tensor r1 = Tensor.cat(-1, a, b, c);
        assertShape(r1, 3, 12);
        double[] e1 = new double[36];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) {
            e1[i * 12 + j] = av[i * 4 + j];
            e1[i * 12 + 4 + j] = bv[i * 4 + j];
            e1[i * 12 + 8 + j] = cv[i * 4 + j];
        }
        assertExact(e1, r1, "cat dim 1");
        // zero-length pieces and a single piece
        assertExact(d(av), Tensor.cat(0, Tensor.zeros(0, 4), a, Tensor.zeros(0, 4)), "cat with empties");
        assertExact(d(av), Tensor.cat(1, a), "cat of one");
        // mixed dtypes promote
        Tensor ri = Tensor.cat(0, Tensor.fromArray(new long[] {1, 2}, 2), Tensor.fromArray(new int[] {3}, 1));
        assertEquals(DType.I64, ri.dtype());
        assertArrayEquals(new long[] {1, 2, 3}, ri.toLongArray());
        Tensor rf = Tensor.cat(0, a.to(DType.BF16), a);
        assertEquals(DType.F32, rf.dtype());
        // stack
        Tensor s0 = Tensor.stack(0, a, b);
        assertShape(s0, 2, 3, 4);
        Tensor s2 = Tensor.stack(2, a, b, c);
        assertShape(s2, 3, 4, 3);
        float[] sv = s2.toFloatArray();
        for (int i = 0; i < 12; i++) {
            assertEquals(av[i], sv[i * 3]);
            assertEquals(bv[i], sv[i * 3 + 1]);
            assertEquals(cv[i], sv[i * 3 + 2]);
        }
        assertShape(Tensor.stack(-1, a, b), 3, 4, 2);
        // large cat (> chunk size) keeps order
        int n = 20011;
        float[] big = uniform(5, n, -1, 1);
        Tensor bigCat = Tensor.cat(0, tensor(big, n), steppedView(big));
        float[] bc = bigCat.toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(big[i], bc[i]);
            assertEquals(big[i], bc[n + i]);
        }
    }

    @Test
    void catStackErrors() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(0));
        assertThrows(IllegalArgumentException.class, () -> Tensor.stack(0));
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.cat(0, Tensor.zeros(2, 3), Tensor.zeros(2, 4)));
        assertTrue(e.getMessage().contains("differ at dim 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(0, Tensor.zeros(2, 3), Tensor.zeros(3)));
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.cat(2, Tensor.zeros(2, 3), Tensor.zeros(2, 3)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.stack(0, Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.stack(3, Tensor.zeros(2, 3)));
    }

    @Test
    void splitAndChunk() {
        Tensor t = tensor(iota(7 * 3), 7, 3);
        List<Tensor> parts = t.split(3, 0);
        assertEquals(3, parts.size());
        assertShape(parts.get(0), 3, 3);
        assertShape(parts.get(2), 1, 3);
        assertArrayEquals(new float[] {18, 19, 20}, parts.get(2).toFloatArray());
        List<Tensor> sized = t.split(new int[] {2, 0, 5}, 0);
        assertShape(sized.get(1), 0, 3);
        assertArrayEquals(new float[] {6, 7, 8}, sized.get(2).select(0, 0).toFloatArray());
        List<Tensor> cols = t.split(1, -1);
        assertEquals(3, cols.size());
        assertArrayEquals(new float[] {1, 4, 7, 10, 13, 16, 19}, cols.get(1).flatten().toFloatArray());
        // split views alias
        parts.get(1).fill(0);
        assertEquals(0, t.get(4, 1));
        List<Tensor> ch = tensor(iota(12), 2, 6).chunk(3, 1);
        assertEquals(3, ch.size());
        assertArrayEquals(new float[] {2, 3, 8, 9}, ch.get(1).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> t.chunk(2, 0));
        assertThrows(IllegalArgumentException.class, () -> t.chunk(0, 0));
        assertThrows(IllegalArgumentException.class, () -> t.chunk(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> t.split(0, 0));
        assertThrows(IllegalArgumentException.class, () -> t.split(new int[] {3, 3}, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.split(1, 2));
    }

    @Test
    void opsOnReshapedAndStridedViewsMatchContiguous() {
        // the same elementwise op on many view kinds gives the same as on a contiguous copy
        float[] x = uniform(8, 6 * 10, -2, 2);
        Tensor base = tensor(x, 6, 10);
        Tensor[] views = {
            base.t(), base.slice(1, 1, 10, 2), base.narrow(0, 1, 4).t(), base.reshape(3, 20).t(),
            base.unsqueeze(1).expand(6, 3, 10), base.permute(1, 0).slice(0, 0, 10, 3), base.select(1, 4),
        };
        for (Tensor v : views) {
            double[] ref = d(v.contiguous().toFloatArray());
            double[] r2 = new double[ref.length];
            for (int i = 0; i < ref.length; i++) r2[i] = (float) (ref[i] * ref[i]) + 1;
            assertExact(r2, v.mul(v).add(1), "view " + java.util.Arrays.toString(v.shape()));
            double s = 0;
            for (double r : ref) s += r;
            assertEquals(s, v.sum().item(), 1e-4);
        }
    }
}
