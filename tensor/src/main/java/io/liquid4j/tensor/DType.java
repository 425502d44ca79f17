package io.liquid4j.tensor;

/**
 * Element types of tensors. Floating types are computed in f32 inside the kernels; BF16/F16
 * are storage formats that kernels decode on the fly (weights stay 16-bit in memory).
 * U8 doubles as the boolean type of masks and comparison results.
 */
public enum DType {
    F32(4, true, "F32"),
    BF16(2, true, "BF16"),
    F16(2, true, "F16"),
    I32(4, false, "I32"),
    I64(8, false, "I64"),
    U8(1, false, "U8");

    private final int byteSize;
    private final boolean floating;
    private final String safetensorsName;

    DType(int byteSize, boolean floating, String safetensorsName) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.safetensorsName = safetensorsName;
    }

    /** Bytes per element. */
    public int byteSize() { return byteSize; }

    /** True for F32, BF16 and F16: the types autograd can differentiate. */
    public boolean isFloating() { return floating; }

    /** The dtype string used in safetensors headers ("F32", "BF16", ...). */
    public String safetensorsName() { return safetensorsName; }

    /** Maps a safetensors dtype string to a DType, or null when we have no such type ("BOOL" maps to U8). */
    public static DType fromSafetensorsName(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "BF16" -> BF16;
            case "F16" -> F16;
            case "I32" -> I32;
            case "I64" -> I64;
            case "U8", "BOOL" -> U8;
            default -> null;
        };
    }

    /**
     * The largest value of this floating dtype strictly below b: uniform draws in [a, b) are
     * clamped to it, since a double just under b would otherwise round up to b when stored.
     */
    public double largestBelow(double b) {
        if (!floating) throw new IllegalStateException(this + " is not a floating dtype");
        float f = (float) b;
        if (f >= b) f = Math.nextDown(f);
        if (this == F32) return f;
        int h = (this == BF16 ? floatToBf16(f) : floatToF16(f)) & 0xFFFF;
        while (decode16(h) >= b) {
            // one 16-bit step toward -inf (sign-magnitude patterns)
            h = (h & 0x7FFF) == 0 ? 0x8001 : (h & 0x8000) == 0 ? h - 1 : h + 1;
        }
        return decode16(h);
    }

    private double decode16(int h) {
        return this == BF16 ? bf16ToFloat((short) h) : f16ToFloat((short) h);
    }

    // ---- scalar conversions shared by every backend's host-side code ----

    /** bf16 bits → f32: the bf16 value is the high half of the f32 pattern. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** f32 → bf16 bits, rounding to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((x >>> 16) | 0x0040);
        }
        int lsb = (x >>> 16) & 1;
        return (short) ((x + 0x7FFF + lsb) >>> 16);
    }

    /** f16 bits → f32 (IEEE binary16, subnormals included). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** f32 → f16 bits, rounding to nearest even. */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
