package io.liquid4j.liquid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.liquid.TrainingSequence.Task;
import io.liquid4j.tokenizer.HfTokenizer;
import io.liquid4j.tokenizer.ReferenceTokenizers;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The released collator's layouts on the real Gemma tokenizer (256000 text ids; the released
 * Liquid uses its unused slots 7, 8, 9 as boi, eoi, unconditional): every id and label checked
 * against a layout spelled out from spec/liquid.md. Skipped when npm has not installed the
 * reference tokenizers.
 */
class SequenceBuilderTest {
    private static final int TEXT = 256_000, BOS = 2, EOS = 1, BOI = 7, EOI = 8, UNCOND = 9, I = -100;
    private static final int[] CODES = {0, 5, 8191, 77};

    private static HfTokenizer gemma() { return ReferenceTokenizers.load("gemma"); }

    private static SequenceBuilder builder(HfTokenizer tok) { return new SequenceBuilder(tok, TEXT, 8192, BOI, EOI, UNCOND); }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    private static int[] image() { return IntStream.of(CODES).map(c -> TEXT + c).toArray(); }

    private static int[] ignored(int n) { return IntStream.range(0, n).map(i -> I).toArray(); }

    @Test
    void textToImageLayout() {
        HfTokenizer tok = gemma();
        String caption = "A red fox sleeping under a tree";
        TrainingSequence s = builder(tok).textToImage(caption, CODES, 3, false);
        int[] text = tok.encode(caption + " Please illustrate the above text with a picture.", false);
        int[] prefix = concat(new int[] {BOS}, text, new int[] {BOI});
        assertArrayEquals(concat(prefix, image(), new int[] {EOI, EOS}), s.inputIds());
        assertArrayEquals(concat(ignored(prefix.length), image(), new int[] {EOI, EOS}), s.labels(), "loss on the codes, <eoi> and <eos>");
        assertEquals(Task.T2I, s.task());
        assertEquals(CODES.length + 2, s.countedLabels());
    }

    @Test
    void unconditionalSampleDropsCaptionAndPhrase() {
        TrainingSequence s = builder(gemma()).textToImage("A red fox", CODES, 0, true);
        assertArrayEquals(concat(new int[] {BOS, UNCOND, BOI}, image(), new int[] {EOI, EOS}), s.inputIds());
        assertArrayEquals(concat(ignored(3), image(), new int[] {EOI, EOS}), s.labels());
    }

    @Test
    void captionLayout() {
        HfTokenizer tok = gemma();
        TrainingSequence s = builder(tok).caption(CODES, "A red fox");
        int[] instruction = tok.encode("The caption of this image is:", false);
        int[] answer = concat(tok.encode("A red fox", false), new int[] {EOS});
        int[] prompt = concat(new int[] {BOS, BOI}, image(), new int[] {EOI}, instruction);
        assertArrayEquals(concat(prompt, answer), s.inputIds());
        assertArrayEquals(concat(ignored(prompt.length), answer), s.labels(), "loss on the caption and <eos> only");
        assertEquals(Task.CAPTION, s.task());
    }

    @Test
    void textLayout() {
        HfTokenizer tok = gemma();
        TrainingSequence s = builder(tok).text("The fox sleeps.");
        assertEquals(BOS, s.inputIds()[0]);
        assertArrayEquals(s.inputIds(), s.labels());
        assertArrayEquals(concat(new int[] {BOS}, tok.encode("The fox sleeps.", false)), s.inputIds());
    }

    @Test
    void imagePairDrawsTasksPhrasesAndUnconditionalAtTheirRates() {
        SequenceBuilder b = builder(gemma());
        SplittableRandom rng = new SplittableRandom(7);
        int t2i = 0, uncond = 0, n = 4000;
        for (int i = 0; i < n; i++) {
            TrainingSequence s = b.imagePair("A fox", CODES, 0.5, 0.1, rng);
            if (s.task() == Task.T2I) {
                t2i++;
                if (s.inputIds()[1] == UNCOND) uncond++;
            }
        }
        assertTrue(Math.abs(t2i - n * 0.5) < 4 * Math.sqrt(n * 0.25), "T2I share " + t2i + " of " + n);
        assertTrue(Math.abs(uncond - t2i * 0.1) < 4 * Math.sqrt(t2i * 0.09), "unconditional " + uncond + " of " + t2i);
        // the same seed gives the same sequences
        TrainingSequence a1 = b.imagePair("A fox", CODES, 0.5, 0.1, new SplittableRandom(3));
        TrainingSequence a2 = b.imagePair("A fox", CODES, 0.5, 0.1, new SplittableRandom(3));
        assertArrayEquals(a1.inputIds(), a2.inputIds());
    }

    @Test
    void gemmaChatTemplateAroundTheImage() {
        HfTokenizer tok = gemma();
        int start = tok.tokenToId("<start_of_turn>"), end = tok.tokenToId("<end_of_turn>");
        int[] got = builder(tok).chatPrompt(CODES, "What is it?");
        int[] want = concat(new int[] {BOS, start}, tok.encode("user\n", false), new int[] {BOI}, image(), new int[] {EOI},
                tok.encode("\nWhat is it?", false), new int[] {end}, tok.encode("\n", false), new int[] {start}, tok.encode("model\n", false));
        assertArrayEquals(want, got);
        int[] next = builder(tok).chatTurn("And now?");
        assertArrayEquals(concat(tok.encode("\n", false), new int[] {start}, tok.encode("user\nAnd now?", false), new int[] {end},
                tok.encode("\n", false), new int[] {start}, tok.encode("model\n", false)), next);
    }

    @Test
    void llama3AndQwenChatTemplates() {
        HfTokenizer llama = ReferenceTokenizers.load("llama3");
        int[] ids = new SequenceBuilder(llama, 128_256, 8192, 128_002, 128_003, 128_004).chatPrompt(null, "Hi");
        assertArrayEquals(llama.encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", false), ids);
        HfTokenizer qwen = ReferenceTokenizers.load("qwen3");
        int boi = qwen.tokenToId("<|vision_start|>"), eoi = qwen.tokenToId("<|vision_end|>"), unc = qwen.tokenToId("<|vision_pad|>");
        int[] q = new SequenceBuilder(qwen, 151_669, 8192, boi, eoi, unc).chatPrompt(new int[] {0, 1}, "Hi");
        int at = IntStream.range(0, q.length).filter(i -> q[i] == boi).findFirst().orElseThrow();
        assertArrayEquals(new int[] {boi, 151_669, 151_670, eoi}, java.util.Arrays.copyOfRange(q, at, at + 4));
        assertEquals(qwen.tokenToId("<|im_start|>"), q[0], "ChatML starts with the default system turn");
    }

    @Test
    void badInputIsRejected() {
        SequenceBuilder b = builder(gemma());
        assertThrows(IllegalArgumentException.class, () -> b.textToImage("x", new int[] {8192}, 0, false));
        assertThrows(IllegalArgumentException.class, () -> b.caption(new int[] {-1}, "x"));
        assertThrows(IllegalArgumentException.class, () -> b.textToImage("x", CODES, 10, false));
        assertThrows(IllegalArgumentException.class, () -> b.caption(new int[0], "x"));
    }
}
