package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.AttentionSpec;
import org.junit.jupiter.api.Test;

class TokenLayoutTest {
    @Test
    void leftPaddingBecomesKeyRanges() {
        int[][] mask = {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}};
        TokenLayout t = TokenLayout.of(mask, null, 2, 2, 3);
        assertArrayEquals(new int[] {0, 1, 2}, t.positions()[0]);
        assertArrayEquals(new int[] {2, 3, 4}, t.positions()[1]);
        AttentionSpec s = t.spec(0.5, 0, 0);
        assertArrayEquals(new int[] {2, 0}, s.keyStart());
        assertArrayEquals(new int[] {5, 5}, s.keyEnd());
        assertNull(s.segments());
        assertEquals(2, s.queryOffset(3, 5));
        assertFalse(s.visible(0, 2, 1, 5));
        assertTrue(s.visible(0, 3, 2, 5));
        assertFalse(s.visible(1, 2, 3, 5), "causal");
    }

    @Test
    void maskWithHolesFoldsIntoSegments() {
        int[][] mask = {{1, 0, 1, 1}};
        TokenLayout t = TokenLayout.of(mask, null, 1, 0, 4);
        assertArrayEquals(new int[] {0, 0, 1, 2}, t.positions()[0]);
        AttentionSpec s = t.spec(1, 0, 2);
        assertNull(s.keyStart());
        assertEquals(2, s.window());
        assertTrue(s.visible(0, 2, 0, 4) == false, "window 2: slot 2 sees slots 1..2 only");
        assertFalse(s.visible(0, 3, 1, 4), "the hole is hidden");
        assertTrue(s.visible(0, 3, 2, 4));
    }

    @Test
    void packedDocumentsRestartPositions() {
        int[][] seg = {{4, 4, 4, 9, 9, 4}};
        TokenLayout t = TokenLayout.of(null, seg, 1, 0, 6);
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 3}, t.positions()[0], "a segment continues its own count");
        AttentionSpec s = t.spec(1, 0, 0);
        assertTrue(s.visible(0, 5, 0, 6));
        assertFalse(s.visible(0, 5, 4, 6));
        assertFalse(s.visible(0, 4, 2, 6));
    }

    @Test
    void shapesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> TokenLayout.of(new int[][] {{1, 1}}, null, 2, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> TokenLayout.of(null, new int[][] {{1, 1, 1}}, 1, 0, 2));
    }
}
