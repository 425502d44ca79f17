package io.liquid4j.liquid.data;

import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TrainingSequence;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Turns records into training sequences. An image–caption pair is drawn (T2I or captioning,
 * phrase, unconditional) with its own RNG seeded from (seed, file index, line number), so the
 * draw does not depend on which records were read before it: `liquid prepare --build` and
 * {@link TrainingData} give the same sequence for the same line.
 */
public final class SampleFactory {
    private final SequenceBuilder builder;
    private final DataOptions options;
    private int truncated;

    public SampleFactory(SequenceBuilder builder, DataOptions options) {
        this.builder = builder;
        this.options = options;
    }

    /** The RNG of the record on line {@code line} (1-based) of file number {@code fileIndex}. */
    public static SplittableRandom recordRng(long seed, int fileIndex, int line) {
        long h = seed;
        h = mix(h ^ (0x9E3779B97F4A7C15L * (fileIndex + 1L)));
        h = mix(h ^ (0xC2B2AE3D27D4EB4FL * (line + 1L)));
        return new SplittableRandom(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The sequence of one record; {@code where} ("file:line") names it in errors.
     *
     * @throws IllegalArgumentException for codes outside [0, imageCodes), built ids or labels outside the vocabulary, an image record that was
     *                                  not prepared, or a sequence over maxLength without truncation
     */
    public TrainingSequence sample(DataRecord record, int fileIndex, int line, String where) {
        TrainingSequence s = switch (record) {
            case DataRecord.Text t -> builder.text(t.text());
            case DataRecord.Pair p -> {
                checkCodes(p.codes(), where);
                yield builder.imagePair(p.caption(), p.codes(), options.t2iRatio(), options.uncondProb(), recordRng(options.seed(), fileIndex, line));
            }
            case DataRecord.Built b -> {
                checkBuilt(b, where);
                yield new TrainingSequence(b.inputIds(), b.labels(), b.task());
            }
            case DataRecord.Image i -> throw new IllegalArgumentException(where + ": image record (\"image\": \"" + i.image()
                    + "\"): encode the images to codes first with `liquid prepare --model DIR --data IN.jsonl --out OUT.jsonl`, then train on OUT.jsonl");
        };
        return fit(s, where);
    }

    /** How many sequences were cut to maxLength. */
    public int truncated() { return truncated; }

    private void checkCodes(int[] codes, String where) {
        if (options.imageCodes() == 0) {
            throw new IllegalArgumentException(where + ": an image record, but the model is a text LM (no liquid.json): make it a Liquid model "
                    + "with `liquid convert-weights extend-vocab` first");
        }
        if (codes.length == 0) throw new IllegalArgumentException(where + ": \"codes\" is empty");
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] < 0 || codes[i] >= options.imageCodes()) {
                throw new IllegalArgumentException(where + ": image code " + codes[i] + " at index " + i + " is outside [0, "
                        + options.imageCodes() + ") (was it encoded with another VQGAN?)");
            }
        }
    }

    /** Ids and labels of a sequence built elsewhere must be ids of this model: one beyond its vocabulary fails the embedding or the loss mid-training. */
    private void checkBuilt(DataRecord.Built b, String where) {
        int vocab = builder.vocabSize();
        for (int i = 0; i < b.inputIds().length; i++) {
            int id = b.inputIds()[i], label = b.labels()[i];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException(where + ": \"input_ids\"[" + i + "] is " + id + ", outside the model's ids [0, " + vocab + ")");
            }
            if (label != TrainingSequence.IGNORE && (label < 0 || label >= vocab)) {
                throw new IllegalArgumentException(where + ": \"labels\"[" + i + "] is " + label + ", neither " + TrainingSequence.IGNORE
                        + " (not counted) nor an id in [0, " + vocab + ")");
            }
        }
    }

    private TrainingSequence fit(TrainingSequence s, String where) {
        int max = options.maxLength();
        if (s.length() <= max) return s;
        if (!options.truncate()) {
            throw new IllegalArgumentException(where + ": the sequence has " + s.length() + " tokens, more than the context length "
                    + max + " (raise it, or truncate)");
        }
        truncated++;
        return new TrainingSequence(Arrays.copyOf(s.inputIds(), max), Arrays.copyOf(s.labels(), max), s.task());
    }
}
