package io.liquid4j.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 encoding as tokenizers need it. */
final class Utf8 {
    private Utf8() {}

    /**
     * The UTF-8 bytes of {@code s}; a lone surrogate becomes U+FFFD (EF BF BD) as in the
     * reference tokenizers (JavaScript's TextEncoder, Rust strings). {@code String.getBytes}
     * would write '?' instead and change the token ids.
     */
    static byte[] encode(CharSequence s) {
        int n = s.length();
        byte[] out = new byte[n * 3];
        int o = 0;
        for (int i = 0; i < n; i++) {
            int c = s.charAt(i);
            if (Character.isHighSurrogate((char) c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                c = Character.toCodePoint((char) c, s.charAt(++i));
            } else if (Character.isSurrogate((char) c)) {
                c = 0xFFFD;
            }
            if (c < 0x80) {
                out[o++] = (byte) c;
            } else if (c < 0x800) {
                out[o++] = (byte) (0xC0 | c >> 6);
                out[o++] = (byte) (0x80 | c & 0x3F);
            } else if (c < 0x10000) {
                out[o++] = (byte) (0xE0 | c >> 12);
                out[o++] = (byte) (0x80 | c >> 6 & 0x3F);
                out[o++] = (byte) (0x80 | c & 0x3F);
            } else {
                out[o++] = (byte) (0xF0 | c >> 18);
                out[o++] = (byte) (0x80 | c >> 12 & 0x3F);
                out[o++] = (byte) (0x80 | c >> 6 & 0x3F);
                out[o++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return java.util.Arrays.copyOf(out, o);
    }

    /** Bytes to text; malformed sequences become U+FFFD (lossy, like Rust's from_utf8_lossy). */
    static String decodeLossy(byte[] bytes, int length) {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** Bytes to text, or null when they are not valid UTF-8. */
    static String decodeStrict(byte[] bytes, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }
}
