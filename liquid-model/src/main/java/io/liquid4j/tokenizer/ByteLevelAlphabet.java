package io.liquid4j.tokenizer;

/**
 * GPT-2's byte ↔ char table used by ByteLevel pre-tokenizers and decoders: the printable bytes
 * '!'..'~', '¡'..'¬' and '®'..'ÿ' map to the char of the same value, the other 68 bytes to
 * U+0100, U+0101, ... in byte order, so every byte has a visible, non-space stand-in.
 */
final class ByteLevelAlphabet {
    /** Number of byte symbols. */
    static final int SIZE = 256;
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Index: the char (all stand-ins are below U+0144); value: the byte, or -1. */
    private static final short[] CHAR_TO_BYTE = new short[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevelAlphabet() {}

    /** The UTF-8 bytes of {@code text}, each written as its stand-in char. */
    static String encode(String text) {
        byte[] bytes = Utf8.encode(text);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The stand-in char of a byte (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** The byte a stand-in char represents, or -1 when the char is not in the table. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }
}
