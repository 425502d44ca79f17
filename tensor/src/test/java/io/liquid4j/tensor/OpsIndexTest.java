package io.liquid4j.tensor;

import static io.liquid4j.tensor.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OpsIndexTest {
    static long[] randomIndex(long seed, int n, int bound) {
        Random r = new Random(seed);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(bound);
        return v;
    }

    static int[] toInt(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }

    /** Reference gather: out[c] = x[c with c[dim] = idx[c]]. */
    static double[] gatherRef(float[] x, int[] xs, long[] idx, int[] is, int dim) {
        int[] st = strides(xs);
        double[] r = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            int[] c = coords(i, is);
            c[dim] = (int) idx[i];
            int at = 0;
            for (int d = 0; d < c.length; d++) at += c[d] * st[d];
            r[i] = x[at];
        }
        return r;
    }

    @Test
    void gatherAlongEachDimWithI32AndI64Indices() {
        int[] xs = {5, 6, 7};
        float[] x = uniform(1, 210, -1, 1);
        for (int dim = 0; dim < 3; dim++) {
            int[] is = {4, 6, 3};          // smaller than x in dims 0 and 2 (allowed), same or any size along dim
            is[dim] = 9;                   // more picks than the dim has: duplicates
            int n = (int) Tensor.numel(is);
            long[] idx = randomIndex(dim, n, xs[dim]);
            double[] ref = gatherRef(x, xs, idx, is, dim);
            Tensor t = tensor(x, xs);
            assertExact(ref, t.gather(dim, Tensor.fromArray(idx, is)), "gather I64 dim " + dim);
            assertExact(ref, t.gather(dim - 3, Tensor.fromArray(toInt(idx), is)), "gather I32 dim " + dim);
            // non-contiguous source (a permuted view with the same logical values)
            Tensor nc = OpsReduceTest.noncontiguousCopy(x, xs);
            assertExact(ref, nc.gather(dim, Tensor.fromArray(idx, is)), "gather non-contiguous dim " + dim);
        }
        // integer payload is copied exactly
        long big = (1L << 62) + 7;
        Tensor li = Tensor.fromArray(new long[] {1, big, 3, 4}, 2, 2);
        assertArrayEquals(new long[] {big, 1, 4, 4}, li.gather(1, Tensor.fromArray(new long[] {1, 0, 1, 1}, 2, 2)).toLongArray());
    }

    @Test
    void gatherLargeParallel() {
        int rows = 5000, v = 7;
        float[] x = uniform(2, rows * v, -1, 1);
        long[] idx = randomIndex(3, rows, v);
        double[] ref = gatherRef(x, new int[] {rows, v}, idx, new int[] {rows, 1}, 1);
        assertExact(ref, tensor(x, rows, v).gather(1, Tensor.fromArray(idx, rows, 1)), "gather 5000 rows");
    }

    @Test
    void gatherErrors() {
        Tensor t = Tensor.zeros(3, 4);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> t.gather(1, Tensor.fromArray(new long[] {0, 4}, 2, 1)));
        assertTrue(e.getMessage().contains("index 4") && e.getMessage().contains("size 4"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.gather(0, Tensor.fromArray(new long[] {-1}, 1, 1)));
        assertThrows(IllegalArgumentException.class, () -> t.gather(1, Tensor.fromArray(new long[] {0, 1}, 2)));
        assertThrows(IllegalArgumentException.class, () -> t.gather(1, Tensor.fromArray(new long[] {0, 0, 0, 0, 0}, 5, 1)));
        assertThrows(IllegalArgumentException.class, () -> t.gather(1, Tensor.zeros(2, 1)));
        assertThrows(IndexOutOfBoundsException.class, () -> t.gather(2, Tensor.zeros(DType.I64, 2, 1)));
    }

    @Test
    void scatterAddWithDuplicatesAlongEachDim() {
        int[] ds = {4, 5, 3};
        float[] base = uniform(4, 60, -1, 1);
        for (int dim = 0; dim < 3; dim++) {
            int[] is = {3, 5, 2};
            is[dim] = 8;
            int n = (int) Tensor.numel(is);
            long[] idx = randomIndex(10 + dim, n, ds[dim]);
            float[] src = uniform(20 + dim, n, -1, 1);
            double[] ref = d(base);
            int[] st = strides(ds);
            for (int i = 0; i < n; i++) {
                int[] c = coords(i, is);
                c[dim] = (int) idx[i];
                int at = 0;
                for (int k = 0; k < 3; k++) at += c[k] * st[k];
                ref[at] += src[i];
            }
            Tensor dst = tensor(base, ds);
            Tensor r = dst.scatterAdd(dim, Tensor.fromArray(idx, is), tensor(src, is));
            assertClose(ref, r, 1e-6, 1e-6, "scatterAdd dim " + dim);
            assertExact(d(base), dst, "scatterAdd is out of place");
        }
    }

    @Test
    void scatterAddSrcLargerThanIndexUsesTheIndexRegion() {
        Tensor dst = Tensor.zeros(2, 3);
        Tensor src = tensor(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        Tensor idx = Tensor.fromArray(new long[] {2, 0, 1, 1}, 2, 2);
        assertArrayEquals(new float[] {2, 0, 1, 0, 11, 0}, dst.scatterAdd(1, idx, src).toFloatArray());
    }

    @Test
    void scatterAddErrors() {
        Tensor dst = Tensor.zeros(3, 4);
        var e = assertThrows(IndexOutOfBoundsException.class,
                () -> dst.scatterAdd(0, Tensor.fromArray(new long[] {3}, 1, 1), Tensor.ones(1, 1)));
        assertTrue(e.getMessage().contains("index 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dst.scatterAdd(0, Tensor.fromArray(new long[] {0}, 1), Tensor.ones(1)));
        assertThrows(IllegalArgumentException.class, () -> dst.scatterAdd(0, Tensor.zeros(1, 1), Tensor.ones(1, 1)));
        // index larger than src: would read src out of bounds
        assertThrows(IllegalArgumentException.class,
                () -> dst.scatterAdd(0, Tensor.zeros(DType.I64, 3, 4), Tensor.ones(2, 4)));
        // index larger than dst along a non-scatter dim: would write out of bounds
        assertThrows(IllegalArgumentException.class,
                () -> dst.scatterAdd(0, Tensor.zeros(DType.I64, 2, 5), Tensor.ones(2, 5)));
        // nothing was written by the failed calls
        assertArrayEquals(new float[12], dst.toFloatArray());
    }

    @Test
    void indexSelectEveryDimAndLayout() {
        int[] xs = {6, 5, 4};
        float[] x = uniform(7, 120, -1, 1);
        int[] st = strides(xs);
        for (int dim = 0; dim < 3; dim++) {
            long[] idx = randomIndex(30 + dim, 11, xs[dim]);
            int[] os = xs.clone();
            os[dim] = 11;
            double[] ref = new double[(int) Tensor.numel(os)];
            for (int i = 0; i < ref.length; i++) {
                int[] c = coords(i, os);
                c[dim] = (int) idx[c[dim]];
                ref[i] = x[c[0] * st[0] + c[1] * st[1] + c[2] * st[2]];
            }
            Tensor t = tensor(x, xs);
            Tensor r = t.indexSelect(dim, Tensor.fromArray(idx, 11));
            assertShape(r, os);
            assertExact(ref, r, "indexSelect dim " + dim);
            assertExact(ref, t.indexSelect(dim, Tensor.fromArray(toInt(idx), 11)), "indexSelect I32 dim " + dim);
            assertExact(ref, OpsReduceTest.noncontiguousCopy(x, xs).indexSelect(dim, Tensor.fromArray(idx, 11)), "indexSelect non-contiguous dim " + dim);
            // a stepped (non-contiguous) index
            long[] wide = new long[22];
            for (int i = 0; i < 11; i++) wide[2 * i] = idx[i];
            assertExact(ref, t.indexSelect(dim, Tensor.fromArray(wide, 22).slice(0, 0, 22, 2)), "stepped index dim " + dim);
        }
        // BF16 rows on the contiguous fast path keep their bits
        Tensor b = tensor(x, xs).to(DType.BF16);
        Tensor rb = b.indexSelect(0, Tensor.fromArray(new long[] {5, 0}, 2));
        assertEquals(DType.BF16, rb.dtype());
        float[] bv = b.toFloatArray(), rv = rb.toFloatArray();
        for (int j = 0; j < 20; j++) {
            assertEquals(bv[5 * 20 + j], rv[j]);
            assertEquals(bv[j], rv[20 + j]);
        }
        // empty index
        assertShape(tensor(x, xs).indexSelect(1, Tensor.zeros(DType.I64, 0)), 6, 0, 4);
    }

    @Test
    void indexSelectErrors() {
        Tensor t = Tensor.zeros(3, 4);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> t.indexSelect(0, Tensor.fromArray(new long[] {0, 3}, 2)));
        assertTrue(e.getMessage().contains("index 3"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.indexSelect(1, Tensor.fromArray(new long[] {-1}, 1)));
        assertThrows(IllegalArgumentException.class, () -> t.indexSelect(0, Tensor.fromArray(new long[] {0}, 1, 1)));
        assertThrows(IllegalArgumentException.class, () -> t.indexSelect(0, Tensor.fromArray(new float[] {0}, 1)));
        assertThrows(IndexOutOfBoundsException.class, () -> t.indexSelect(2, Tensor.fromArray(new long[] {0}, 1)));
    }

    @Test
    void embeddingLookup() {
        int vocab = 50, dim = 33;
        float[] w = uniform(8, vocab * dim, -1, 1);
        long[] ids = randomIndex(9, 2 * 7, vocab);
        Tensor out = F.embedding(Tensor.fromArray(ids, 2, 7), tensor(w, vocab, dim));
        assertShape(out, 2, 7, dim);
        double[] ref = new double[2 * 7 * dim];
        for (int i = 0; i < 14; i++) for (int j = 0; j < dim; j++) ref[i * dim + j] = w[(int) ids[i] * dim + j];
        assertExact(ref, out, "embedding");
        // I32 ids and a BF16 table
        Tensor ob = F.embedding(Tensor.fromArray(toInt(ids), 14), tensor(w, vocab, dim).to(DType.BF16));
        assertEquals(DType.BF16, ob.dtype());
        float[] obv = ob.toFloatArray();
        for (int i = 0; i < ref.length; i++) assertEquals(DType.bf16ToFloat(DType.floatToBf16((float) ref[i])), obv[i]);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> F.embedding(Tensor.fromArray(new long[] {vocab}, 1), tensor(w, vocab, dim)));
        assertTrue(e.getMessage().contains(String.valueOf(vocab)), e.getMessage());
    }
}
