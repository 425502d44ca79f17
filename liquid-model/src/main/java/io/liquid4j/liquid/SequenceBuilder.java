package io.liquid4j.liquid;

import io.liquid4j.liquid.TrainingSequence.Task;
import io.liquid4j.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds Liquid's training sequences exactly as the released collator does (spec/liquid.md,
 * "Training sequences"), with image code c as token id textVocabSize + c:
 * <ul>
 *   <li>text-to-image: {@code [bos] caption+phrase <boi> codes… <eoi> <eos>}, the phrase one of
 *       {@link #T2I_PHRASES}, or {@code [bos] <unconditional> <boi> codes… <eoi> <eos>} for the
 *       unconditional samples CFG needs; labels −100 up to and including {@code <boi>};</li>
 *   <li>captioning: {@code [bos] <boi> codes… <eoi> The caption of this image is: caption <eos>};
 *       labels −100 through the colon;</li>
 *   <li>text: the text with BOS, every token counted.</li>
 * </ul>
 * The special tokens are written as their vocabulary strings inside the text and recognised by
 * the tokenizer, as the collator's {@code tokenizer(text)} does, and the codes are inserted
 * after {@code <boi>}. "[bos]" is whatever the tokenizer's own framing puts first (Gemma's and
 * Llama 3's BOS; nothing for Qwen2, which has none).
 */
public final class SequenceBuilder {
    /** The ten instruction phrases appended to a caption (each starts with a space). */
    public static final List<String> T2I_PHRASES = List.of(
            " Generate an image based on this description.",
            " Create an image that captures the provided description.",
            " Based on the previous text, produce a corresponding image.",
            " Please illustrate the above text with a picture.",
            " Translate the given description into a image.",
            " Construct a visual representation of the above description.",
            " Create a image that matches the text.",
            " Formulate a visual expression that reflects the narrative just provided.",
            " Give a visual depiction based on the above sentences.",
            " Create an image using the information mentioned above as guidance.");

    /** The instruction between the image and its caption in a captioning sample. */
    public static final String CAPTION_INSTRUCTION = "The caption of this image is:";

    private final Tokenizer tokenizer;
    private final int textVocabSize, imageCodes, boiId, eoiId;
    private final String boi, eoi, eos, unconditional;

    /**
     * @param textVocabSize id of image code 0
     * @param imageCodes    number of image codes (valid codes are [0, imageCodes))
     */
    public SequenceBuilder(Tokenizer tokenizer, int textVocabSize, int imageCodes, int boiId, int eoiId, int unconditionalId) {
        this.tokenizer = tokenizer;
        this.textVocabSize = textVocabSize;
        this.imageCodes = imageCodes;
        this.boiId = boiId;
        this.eoiId = eoiId;
        this.boi = token(tokenizer, boiId, "<boi>");
        this.eoi = token(tokenizer, eoiId, "<eoi>");
        this.unconditional = token(tokenizer, unconditionalId, "<unconditional>");
        if (tokenizer.eosId() < 0) throw new IllegalArgumentException("the tokenizer has no end-of-sequence token: Liquid sequences end with one");
        this.eos = token(tokenizer, tokenizer.eosId(), "end-of-sequence");
    }

    /** A text LM's builder (no image codes): {@link #text} works, every image sample is a clear error. */
    private SequenceBuilder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.textVocabSize = tokenizer.vocabSize();
        this.imageCodes = 0;
        this.boiId = -1;
        this.eoiId = -1;
        this.boi = this.eoi = this.unconditional = null;
        this.eos = tokenizer.eosId() >= 0 ? tokenizer.idToToken(tokenizer.eosId()) : null;
    }

    /** The builder of a plain text LM (no liquid.json yet): text samples only. */
    public static SequenceBuilder textOnly(Tokenizer tokenizer) {
        return new SequenceBuilder(tokenizer);
    }

    /** Every id a sequence may hold: text ids, then the image codes' ids ([0, vocabSize)). */
    public int vocabSize() { return textVocabSize + imageCodes; }

    /** Whether this builder makes image samples (false for {@link #textOnly}). */
    public boolean hasImages() { return imageCodes > 0; }

    private void requireImages(String what) {
        if (!hasImages()) {
            throw new IllegalArgumentException(what + " needs a Liquid model; this one is a text LM (no liquid.json): "
                    + "extend it with `liquid convert-weights extend-vocab` first");
        }
    }

    /** The builder of a Liquid model with this layout and tokenizer. */
    public static SequenceBuilder of(Tokenizer tokenizer, LiquidLayout layout) {
        return new SequenceBuilder(tokenizer, layout.textVocabSize(), layout.imageCodes(), layout.boiId(), layout.eoiId(), layout.unconditionalId());
    }

    private static String token(Tokenizer tok, int id, String role) {
        String s = tok.idToToken(id);
        if (s == null) throw new IllegalArgumentException("the tokenizer has no token with id " + id + " (the " + role + " token of this Liquid layout)");
        return s;
    }

    /** A text-to-image sample: caption + phrase (or the unconditional token alone), then the image. */
    public TrainingSequence textToImage(String caption, int[] codes, int phrase, boolean unconditionalSample) {
        requireImages("a text-to-image sample");
        if (phrase < 0 || phrase >= T2I_PHRASES.size()) throw new IllegalArgumentException("phrase index " + phrase + " is not in [0, 10)");
        String text = unconditionalSample ? unconditional : caption + T2I_PHRASES.get(phrase);
        int[] framing = tokenizer.encode(text + boi + eoi + eos, true);
        int at = boiPosition(framing, framing.length - 3, "the text-to-image framing");
        if (framing[at + 1] != eoiId || framing[at + 2] != tokenizer.eosId()) {
            throw new IllegalStateException("the tokenizer did not end \"…" + boi + eoi + eos + "\" with those three tokens");
        }
        int[] ids = insertCodes(framing, at + 1, codes);
        int[] labels = ids.clone();
        Arrays.fill(labels, 0, at + 1, TrainingSequence.IGNORE);
        return new TrainingSequence(ids, labels, Task.T2I);
    }

    /** A captioning sample: the image, the instruction, then the caption the loss is on. */
    public TrainingSequence caption(int[] codes, String caption) {
        int[] prompt = captionPrompt(codes);
        int[] answer = tokenizer.encode(caption + eos, false);
        int[] ids = Arrays.copyOf(prompt, prompt.length + answer.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        int[] labels = ids.clone();
        Arrays.fill(labels, 0, prompt.length, TrainingSequence.IGNORE);
        return new TrainingSequence(ids, labels, Task.CAPTION);
    }

    /** What a captioning sample shows before its caption: [bos] &lt;boi&gt; codes… &lt;eoi&gt; The caption of this image is: */
    public int[] captionPrompt(int[] codes) {
        requireImages("a captioning prompt");
        int[] instruction = tokenizer.encode(boi + eoi + CAPTION_INSTRUCTION, true);
        int at = boiPosition(instruction, instruction.length > 0 && instruction[0] == boiId ? 0 : 1, "the captioning instruction");
        return insertCodes(instruction, at + 1, codes);
    }

    /**
     * The first turn of a chat in the tokenizer's family template ({@link ChatTemplate}), with BOS:
     * Gemma's is {@code <bos><start_of_turn>user\n<boi>codes…<eoi>\nquestion<end_of_turn>\n<start_of_turn>model\n}
     * (spec/liquid.md, "Understanding and chat"); without codes the same turn without the image part.
     */
    public int[] chatPrompt(int[] codes, String question) {
        ChatTemplate t = ChatTemplate.of(tokenizer);
        if (codes != null) requireImages("a chat about an image");
        if (codes == null) return withBos(tokenizer.encode(t.first("", question), true));
        int[] framed = withBos(tokenizer.encode(t.first(boi + eoi + "\n", question), true));
        for (int i = 0; i < framed.length; i++) {
            if (framed[i] == boiId) return insertCodes(framed, i + 1, codes);
        }
        throw new IllegalStateException("the tokenizer did not keep " + boi + " as one token in the chat template");
    }

    /** Chat templates start with the BOS token (Llama 3's "<|begin_of_text|>") even where the tokenizer's own framing adds none. */
    private int[] withBos(int[] ids) {
        int bos = tokenizer.bosId();
        if (bos < 0 || (ids.length > 0 && ids[0] == bos)) return ids;
        int[] r = new int[ids.length + 1];
        r[0] = bos;
        System.arraycopy(ids, 0, r, 1, ids.length);
        return r;
    }

    /** A later turn of the chat, continuing after the model's end-of-turn token; no BOS. */
    public int[] chatTurn(String message) {
        return tokenizer.encode(ChatTemplate.of(tokenizer).next(message), false);
    }

    /** A text-only sample: the text with BOS, every token counted. */
    public TrainingSequence text(String text) {
        int[] ids = tokenizer.encode(text, true);
        return new TrainingSequence(ids, ids.clone(), Task.TEXT);
    }

    /**
     * An image–text pair drawn as the collator does: text-to-image with probability t2iRatio
     * (then a uniform phrase, and unconditional with probability uncondProb), else captioning.
     */
    public TrainingSequence imagePair(String caption, int[] codes, double t2iRatio, double uncondProb, SplittableRandom rng) {
        if (rng.nextDouble() >= t2iRatio) return caption(codes, caption);
        int phrase = rng.nextInt(T2I_PHRASES.size());
        return textToImage(caption, codes, phrase, rng.nextDouble() < uncondProb);
    }

    /** The conditional prompt of text-to-image generation: caption + the first phrase + {@code <boi>}, with BOS. */
    public int[] imagePrompt(String caption) {
        requireImages("an image prompt");
        return tokenizer.encode(caption + T2I_PHRASES.getFirst() + boi, true);
    }

    /** The unconditional prompt CFG pairs with it: {@code <unconditional><boi>}, with BOS. */
    public int[] unconditionalPrompt() {
        requireImages("an unconditional prompt");
        return tokenizer.encode(unconditional + boi, true);
    }

    /** The token id of image code c. */
    public int codeToken(int code) {
        requireImages("an image code token");
        return textVocabSize + code;
    }

    private int boiPosition(int[] ids, int expected, String what) {
        if (expected < 0 || expected >= ids.length || ids[expected] != boiId) {
            throw new IllegalStateException("the tokenizer did not keep " + boi + " (id " + boiId + ") as one token in " + what
                    + ": got " + Arrays.toString(ids));
        }
        return expected;
    }

    private int[] insertCodes(int[] ids, int at, int[] codes) {
        if (codes.length == 0) throw new IllegalArgumentException("an image needs at least one code");
        int[] out = new int[ids.length + codes.length];
        System.arraycopy(ids, 0, out, 0, at);
        for (int i = 0; i < codes.length; i++) {
            int c = codes[i];
            if (c < 0 || c >= imageCodes) throw new IllegalArgumentException("image code " + c + " at position " + i + " is outside [0, " + imageCodes + ")");
            out[at + i] = textVocabSize + c;
        }
        System.arraycopy(ids, at, out, at + codes.length, ids.length - at);
        return out;
    }
}
