package io.liquid4j.tensor;

import java.util.Locale;

/**
 * Block formats of quantized Linear weights ({@link QuantizedWeight}): each row of W [n, k] is cut
 * into blocks of 32 consecutive elements that share one F16 scale d.
 * <ul>
 *   <li>{@link #Q8_0}: llama.cpp's Q8_0 block: 32 signed bytes q, value = d·q, d = max|w| / 127
 *       (8.5 bits per weight).</li>
 *   <li>{@link #Q4_0}: llama.cpp's Q4_0 block: 32 four-bit codes q ∈ [0, 15], value = d·(q − 8),
 *       d = m / −8 for the block's element m of largest magnitude (so m maps to q = 0 exactly);
 *       byte j of a block holds element j in its low nibble and element j + 16 in its high
 *       nibble (4.5 bits per weight).</li>
 * </ul>
 * Stored planar (not interleaved as in GGUF): the codes as one U8 tensor [n, k·bits/8] and the
 * scales as a companion F16 tensor [n, k/32], so rows and blocks are plain strided arrays.
 */
public enum QuantFormat {
    Q8_0(8),
    Q4_0(4);

    /** Elements per block (one scale each). */
    public static final int BLOCK = 32;

    private final int bits;

    QuantFormat(int bits) { this.bits = bits; }

    /** Bits per code. */
    public int bits() { return bits; }

    /** Bytes of codes per row of k elements. */
    public long rowBytes(int k) { return (long) k * bits / 8; }

    /** The name used in files and options: "q8_0", "q4_0". */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** The format named s ("q8_0", "Q4_0", ...), or an IllegalArgumentException listing the formats. */
    public static QuantFormat parse(String s) {
        for (QuantFormat f : values()) if (f.id().equalsIgnoreCase(s)) return f;
        throw new IllegalArgumentException("unknown quantization format '" + s + "' (known: q8_0, q4_0)");
    }
}
