package io.liquid4j.tensor.io;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The load-time check of a checkpoint's weights: a tensor that should hold floating-point
 * weights must be stored as F32, BF16 or F16 (an I32 tensor under a weight's name is refused, not
 * converted), and must hold no NaN or infinity (a model with one non-finite weight generates
 * garbage, often with exit code 0). The scan reads the stored bytes of the file mapping once,
 * a vector of exponent fields at a time, before anything is converted or copied; model loaders
 * ({@code Module.load}) run it unless the user asked for {@code --no-check}.
 */
public final class WeightCheck {
    private WeightCheck() {}

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** How many non-finite values a tensor holds and where the first is (-1 when none). */
    public record NonFinite(long count, long first) {
        public boolean none() { return count == 0; }
    }

    /**
     * Checks the named tensors of ckpt: each must be stored in a floating-point dtype and hold
     * only finite values. Throws IllegalArgumentException naming the file and every offending
     * tensor (up to a handful), e.g. {@code model.layers.0.mlp.up_proj.weight: 3 non-finite
     * values (first at index 17)}.
     */
    public static void requireFiniteFloats(Checkpoint ckpt, Iterable<String> names) {
        List<String> problems = new ArrayList<>();
        int more = 0;
        for (String name : names) {
            String p = problem(ckpt, name);
            if (p == null) continue;
            if (problems.size() < 8) problems.add(p);
            else more++;
        }
        if (problems.isEmpty()) return;
        throw new IllegalArgumentException(ckpt.path() + ": " + String.join("; ", problems)
                + (more > 0 ? "; and " + more + " more tensors" : "")
                + " (skip this check with --no-check)");
    }

    /** What is wrong with one tensor, or null. */
    static String problem(Checkpoint ckpt, String name) {
        SafetensorsFile.Entry e = ckpt.entry(name);
        DType dt = e.dtype();
        if (dt == null || !dt.isFloating()) {
            return name + ": dtype " + e.dtypeName() + ", but a floating-point weight (F32, BF16, F16) is expected";
        }
        NonFinite nf = scan(ckpt.data(name), dt);
        if (nf.none()) return null;
        return name + ": " + nf.count() + " non-finite value" + (nf.count() == 1 ? "" : "s") + " (first at index " + nf.first() + ")";
    }

    /** Counts the NaN and infinite elements of data (little-endian dtype elements). */
    public static NonFinite scan(MemorySegment data, DType dtype) {
        return switch (dtype) {
            case F32 -> scan32(data);
            case BF16 -> scan16(data, (short) 0x7F80);
            case F16 -> scan16(data, (short) 0x7C00);
            default -> new NonFinite(0, -1);
        };
    }

    private static NonFinite scan32(MemorySegment data) {
        long n = data.byteSize() / 4, count = 0, first = -1;
        int lanes = I.length();
        long i = 0;
        final int exp = 0x7F800000;
        for (; i + lanes <= n; i += lanes) {
            IntVector v = IntVector.fromMemorySegment(I, data, i * 4, ByteOrder.LITTLE_ENDIAN);
            VectorMask<Integer> bad = v.and(exp).compare(VectorOperators.EQ, exp);
            if (bad.anyTrue()) {
                if (first < 0) first = i + bad.firstTrue();
                count += bad.trueCount();
            }
        }
        for (; i < n; i++) {
            if ((data.get(INT, i * 4) & exp) == exp) {
                if (first < 0) first = i;
                count++;
            }
        }
        return new NonFinite(count, first);
    }

    private static NonFinite scan16(MemorySegment data, short exp) {
        long n = data.byteSize() / 2, count = 0, first = -1;
        int lanes = S.length();
        long i = 0;
        for (; i + lanes <= n; i += lanes) {
            ShortVector v = ShortVector.fromMemorySegment(S, data, i * 2, ByteOrder.LITTLE_ENDIAN);
            VectorMask<Short> bad = v.and(exp).compare(VectorOperators.EQ, exp);
            if (bad.anyTrue()) {
                if (first < 0) first = i + bad.firstTrue();
                count += bad.trueCount();
            }
        }
        for (; i < n; i++) {
            if ((data.get(SHORT, i * 2) & exp) == exp) {
                if (first < 0) first = i;
                count++;
            }
        }
        return new NonFinite(count, first);
    }
}
