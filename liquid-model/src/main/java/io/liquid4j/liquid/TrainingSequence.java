package io.liquid4j.liquid;

/**
 * One training sample as the model sees it: input ids and labels aligned with them as in HF
 * (labels[t] is the target of position t before the trainer's shift; −100 = not counted), and
 * the kind of sample it was built as.
 */
public record TrainingSequence(int[] inputIds, int[] labels, Task task) {
    /** Labels with this value do not count in the loss. */
    public static final int IGNORE = -100;

    /** What a sample teaches: drawing an image from text, describing an image, or plain text. */
    public enum Task { T2I, CAPTION, TEXT }

    public TrainingSequence {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("input_ids has " + inputIds.length + " entries but labels " + labels.length);
        }
    }

    public int length() { return inputIds.length; }

    /** How many labels count in the loss. */
    public int countedLabels() {
        int n = 0;
        for (int l : labels) if (l != IGNORE) n++;
        return n;
    }
}
