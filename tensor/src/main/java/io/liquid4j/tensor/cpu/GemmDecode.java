package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Loads of F32/BF16/F16 elements from little-endian memory as f32, one vector or one scalar at
 * a time. The 16-bit formats are widened in registers (never through an f32 copy in memory):
 * a half-width ShortVector is sign-extended to ints, then shifted/rebiased into f32 bits.
 */
final class GemmDecode {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int V = F.length();
    /** Shorts species with V lanes, half the bit size of F, so one load feeds one float vector. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** f16 exponent rebias: (bits & 0x7fff) << 13 read as f32 is the value scaled by 2^-112 (subnormals included). */
    private static final float F16_SCALE = 0x1p112f;
    /** (0x7c00 << 13): f16 exponent all ones (inf/NaN) after the shift. */
    private static final int F16_INF_SHIFTED = 0x0f800000;

    private GemmDecode() {}

    /** V consecutive elements at byte offset off, widened to f32. */
    static FloatVector load(MemorySegment seg, long off, DType type) {
        return switch (type) {
            case F32 -> FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN);
            case BF16 -> bf16(seg, off);
            case F16 -> f16(seg, off);
            default -> throw new IllegalArgumentException("unsupported GEMM operand type " + type);
        };
    }

    /**
     * {@link #load} stored to out[at, at+V). Each case stores its own vector, so no vector value
     * merges at a phi after the switch: the packing loops call this with F32 and 16-bit types in
     * one JVM, and a merged value there defeated C2's box elimination (vectors allocated per load).
     */
    static void loadInto(MemorySegment seg, long off, DType type, float[] out, int at) {
        switch (type) {
            case F32 -> FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN).intoArray(out, at);
            case BF16 -> bf16(seg, off).intoArray(out, at);
            case F16 -> f16(seg, off).intoArray(out, at);
            default -> throw new IllegalArgumentException("unsupported GEMM operand type " + type);
        }
    }

    /** bf16 is the high half of an f32: widen, shift left by 16 (the sign-extension bits fall off). */
    static FloatVector bf16(MemorySegment seg, long off) {
        return widen(seg, off).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** IEEE binary16 → f32 by the exponent-rebias trick; inf/NaN get their exponent forced to all ones. */
    private static FloatVector f16(MemorySegment seg, long off) {
        IntVector h = widen(seg, off);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        IntVector bits = magnitude.reinterpretAsFloats().mul(F16_SCALE).reinterpretAsInts();
        VectorMask<Integer> infOrNan = magnitude.compare(VectorOperators.GE, F16_INF_SHIFTED);
        bits = bits.blend(bits.or(0x7f800000), infOrNan);
        return bits.or(sign).reinterpretAsFloats();
    }

    private static IntVector widen(MemorySegment seg, long off) {
        return (IntVector) ShortVector.fromMemorySegment(S, seg, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
    }

    /** One element at byte offset off, as f32. */
    static float scalar(MemorySegment seg, long off, DType type) {
        return switch (type) {
            case F32 -> seg.get(F32_LE, off);
            case BF16 -> Float.intBitsToFloat(seg.get(I16_LE, off) << 16);
            case F16 -> Float.float16ToFloat(seg.get(I16_LE, off));
            default -> throw new IllegalArgumentException("unsupported GEMM operand type " + type);
        };
    }
}
