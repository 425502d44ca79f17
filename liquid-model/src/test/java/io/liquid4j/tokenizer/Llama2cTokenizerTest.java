package io.liquid4j.tokenizer;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama2.c tokenizer.bin: a small file written here in the format run.c reads, and encodings
 * worked out by hand with run.c's algorithm.
 */
class Llama2cTokenizerTest {
    @TempDir Path dir;
    private Path file;

    // Ids 0-2 are <unk>, <s>, </s>; 3-258 the byte tokens <0x00>..<0xFF>; then these.
    private static final int SPACE = 259, A = 260, B = 261, C = 262, SPACE_A = 263, AB = 264, BC = 265,
            SPACE_ABC = 266, E_ACUTE = 267, BB = 268;

    @BeforeEach
    void writeTokenizer() throws IOException {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "\n<s>\n", "\n</s>\n"));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            scores.add(0f);
        }
        String[] extra = {" ", "a", "b", "c", " a", "ab", "bc", " abc", "é", "bb"};
        float[] extraScores = {-1000, -1000, -1000, -1000, -1, -2, -0.5f, -5, -1000, -3};
        for (int i = 0; i < extra.length; i++) {
            pieces.add(extra[i]);
            scores.add(extraScores[i]);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(8);
        for (int i = 0; i < pieces.size(); i++) {
            byte[] bytes = pieces.get(i).getBytes(StandardCharsets.UTF_8);
            buf.putFloat(scores.get(i)).putInt(bytes.length).put(bytes);
        }
        file = dir.resolve("tokenizer.bin");
        Files.write(file, java.util.Arrays.copyOf(buf.array(), buf.position()));
    }

    @Test
    void mergesTheBestScoringPairFirst() throws IOException {
        Tokenizer tok = Tokenizer.load(file);
        assertInstanceOf(Llama2cTokenizer.class, tok);
        // [BOS, " ", a, b, c]: "bc" (-0.5) beats " a" (-1) and "ab" (-2) → [BOS, " ", a, bc];
        // then " a" → [BOS, " a", bc]; then " abc" (-5) → [BOS, " abc"].
        assertArrayEquals(new int[] {1, SPACE_ABC}, tok.encode("abc", true));
        assertArrayEquals(new int[] {SPACE_ABC}, tok.encode("abc", false));
        // [" ", a, b]: " a" (-1) beats "ab" (-2); " ab" is not a token.
        assertArrayEquals(new int[] {SPACE_A, B}, tok.encode("ab", false));
    }

    @Test
    void equalScoresMergeTheLeftmostPair() throws IOException {
        // [" ", b, b, b]: both (b, b) pairs score -3; the left one merges; "bbb" and " bb" are not tokens.
        assertArrayEquals(new int[] {SPACE, BB, B}, Tokenizer.load(file).encode("bbb", false));
    }

    @Test
    void unknownCharactersFallBackToBytesPlusThree() throws IOException {
        // é is a token; ü (C3 BC) is not: ids 0xC3 + 3 and 0xBC + 3.
        assertArrayEquals(new int[] {SPACE, E_ACUTE, 0xC3 + 3, 0xBC + 3}, Tokenizer.load(file).encode("éü", false));
    }

    @Test
    void emptyTextHasNoDummyPrefix() throws IOException {
        Tokenizer tok = Tokenizer.load(file);
        assertArrayEquals(new int[] {1}, tok.encode("", true));
        assertArrayEquals(new int[] {}, tok.encode("", false));
    }

    @Test
    void decodeStripsTheSpaceAfterBosAndJoinsBytes() throws IOException {
        Tokenizer tok = Tokenizer.load(file);
        assertEquals("abc", tok.decode(new int[] {1, SPACE_ABC}, true));
        assertEquals("\n<s>\nabc", tok.decode(new int[] {1, SPACE_ABC}));
        assertEquals(" éü", tok.decode(new int[] {SPACE, E_ACUTE, 0xC3 + 3, 0xBC + 3}));
        for (String s : new String[] {"abc bbb", "éü ab", "x"}) assertEquals(s, tok.decode(tok.encode(s, true), true), s);
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
        assertEquals(269, tok.vocabSize());
        assertEquals(SPACE_ABC, tok.tokenToId(" abc"));
        assertEquals("é", tok.idToToken(E_ACUTE));
    }

    @Test
    void truncatedFilesAreReportedWithTheTokenAtFault() throws IOException {
        byte[] whole = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 2));
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(cut));
        assertTrue(e.getMessage().contains("cut.bin: token 268 has byte length 2"), e.getMessage());
    }
}
