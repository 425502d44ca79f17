package io.liquid4j.tensor.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised reductions over one contiguous f32 row (byte offset, length in elements). */
final class RowMath {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    private RowMath() {}

    /**
     * Σ lanes in a fixed order, in double. reduceLanes(ADD) on floats may associate differently
     * in the interpreter and in JIT-compiled code, so the same row could round differently
     * depending on when it runs; results must not depend on timing.
     */
    static double sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        double s = 0;
        for (float f : lanes) s += f;
        return s;
    }

    static double sum(MemorySegment m, long b, int n) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        double total = 0;
        // flush the f32 lanes into a double every 1024 elements to bound rounding error
        while (i <= n - w) {
            int end = Math.min(n - w, i + 1024);
            for (; i <= end; i += w) acc = acc.add(FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE));
            total += sumLanes(acc);
            acc = FloatVector.zero(SP);
        }
        for (; i < n; i++) total += m.get(Access.F, b + i * 4L);
        return total;
    }

    static float max(MemorySegment m, long b, int n) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        for (; i <= n - w; i += w) acc = acc.max(FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE));
        float r = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, m.get(Access.F, b + i * 4L));
        return r;
    }

    /** Σ exp(x − shift). */
    static double sumExp(MemorySegment m, long b, int n, float shift) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i <= n - w; i += w) {
            acc = acc.add(FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE).sub(shift).lanewise(VectorOperators.EXP));
        }
        double r = sumLanes(acc);
        for (; i < n; i++) r += Math.exp(m.get(Access.F, b + i * 4L) - shift);
        return r;
    }

    /** Σ x². */
    static double sumSquares(MemorySegment m, long b, int n) {
        int w = SP.length(), i = 0;
        FloatVector acc = FloatVector.zero(SP);
        for (; i <= n - w; i += w) {
            FloatVector v = FloatVector.fromMemorySegment(SP, m, b + i * 4L, CpuElementwise.LE);
            acc = v.fma(v, acc);
        }
        double r = sumLanes(acc);
        for (; i < n; i++) {
            float v = m.get(Access.F, b + i * 4L);
            r += v * v;
        }
        return r;
    }
}
