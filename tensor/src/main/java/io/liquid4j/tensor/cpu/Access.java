package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Scalar element access by dtype: the slow-but-general path that the vector fast paths are tested against. */
final class Access {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;

    private Access() {}

    /** Element i (in elements) as double. */
    static double get(MemorySegment m, DType t, long i) {
        return switch (t) {
            case F32 -> m.get(F, i * 4);
            case BF16 -> DType.bf16ToFloat(m.get(S, i * 2));
            case F16 -> DType.f16ToFloat(m.get(S, i * 2));
            case I32 -> m.get(I, i * 4);
            case I64 -> m.get(L, i * 8);
            case U8 -> m.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        };
    }

    /** Stores v converted to t (integers truncate toward zero and saturate, like a C cast would not). */
    static void put(MemorySegment m, DType t, long i, double v) {
        switch (t) {
            case F32 -> m.set(F, i * 4, (float) v);
            case BF16 -> m.set(S, i * 2, DType.floatToBf16((float) v));
            case F16 -> m.set(S, i * 2, DType.floatToF16((float) v));
            case I32 -> m.set(I, i * 4, (int) v);
            case I64 -> m.set(L, i * 8, (long) v);
            case U8 -> m.set(ValueLayout.JAVA_BYTE, i, (byte) (int) v);
        }
    }

    /** Exact integer read (I64 values beyond 2^53 survive). */
    static long getLong(MemorySegment m, DType t, long i) {
        return switch (t) {
            case I32 -> m.get(I, i * 4);
            case I64 -> m.get(L, i * 8);
            case U8 -> m.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            default -> (long) get(m, t, i);
        };
    }

    static void putLong(MemorySegment m, DType t, long i, long v) {
        switch (t) {
            case I32 -> m.set(I, i * 4, (int) v);
            case I64 -> m.set(L, i * 8, v);
            case U8 -> m.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            default -> put(m, t, i, v);
        }
    }
}
