package io.liquid4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Decoder steps on token strings. */
class DecoderTest {

    private static String decode(Decoder d, String... tokens) {
        return String.join("", d.decodeChain(List.of(tokens)));
    }

    @Test
    void gemmaChainTurnsMarkersAndBytesIntoText() {
        Decoder gemma = new Decoder.Sequence(List.of(
                new Decoder.Replace(new TextPattern(Pattern.compile(Pattern.quote("▁"))), " "),
                new Decoder.ByteFallback(), new Decoder.Fuse()));
        assertEquals("Hello wörld!", decode(gemma, "Hello", "▁w", "<0xC3>", "<0xB6>", "rld", "!"));
    }

    @Test
    void byteFallbackWritesOneReplacementCharPerInvalidByte() {
        assertEquals(List.of("a", "\uFFFD", "\uFFFD", "b"), new Decoder.ByteFallback().decodeChain(List.of("a", "<0xC3>", "<0xFF>", "b")));
        assertEquals(List.of("<0xZZ>", "<0x4>"), new Decoder.ByteFallback().decodeChain(List.of("<0xZZ>", "<0x4>")), "not byte tokens");
    }

    @Test
    void byteLevelUndoesTheByteAlphabet() {
        assertEquals("Hello wörld\n", decode(new Decoder.ByteLevel(), "Hello", "Ġw", "Ã¶", "rld", "Ċ"));
        assertEquals("<|im_start|>日本", decode(new Decoder.ByteLevel(), "<|im_start|>", "æĹ¥æľ¬"), "ASCII added tokens map to themselves");
        assertEquals("x→y", decode(new Decoder.ByteLevel(), "x→y"), "a char outside the table keeps its own bytes");
    }

    @Test
    void stripRemovesCountedCopies() {
        assertEquals(List.of(" ab ", "x"), new Decoder.Strip(" ", 2, 1).decodeChain(List.of("   ab  ", "x")));
    }

    @Test
    void metaspaceDropsOnlyTheFirstPrependedSpace() {
        assertEquals("Hey friend", decode(new Decoder.Metaspace("▁", true), "▁Hey", "▁friend"));
        assertEquals(" Hey friend", decode(new Decoder.Metaspace("▁", false), "▁Hey", "▁friend"));
    }
}
