package io.liquid4j.liquid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyLiquidModelTest {
    @TempDir Path tmp;

    @Test
    void tokenizerFramesAndRecognisesSpecials() throws Exception {
        TinyLiquidModel.writeTokenizer(tmp);
        Tokenizer t = Tokenizer.load(tmp);
        assertEquals(TinyLiquidModel.BOS, t.bosId());
        assertEquals(TinyLiquidModel.EOS, t.eosId());
        assertArrayEquals(new int[] {2, 8, 7, 4, 5, 1}, t.encode("a <boi><eoi><eos>", true));
        assertEquals(TinyLiquidModel.TEXT_VOCAB, t.vocabSize());
    }
}
