package io.liquid4j.liquid.data;

import io.liquid4j.liquid.TrainingSequence.Task;

/** One JSONL record, by kind. */
public sealed interface DataRecord {
    /** {@code {"text": ...}}: a text-only sample. */
    record Text(String text) implements DataRecord {}

    /** {@code {"caption": ..., "codes": [...]}}: an image–caption pair with the image already VQGAN-encoded. */
    record Pair(String caption, int[] codes) implements DataRecord {}

    /** {@code {"caption": ..., "image": "path"}}: a picture not yet encoded (only `liquid prepare` reads these). */
    record Image(String caption, String image) implements DataRecord {}

    /** {@code {"input_ids": [...], "labels": [...], "task": ...}}: a sequence built elsewhere, taken as it is. */
    record Built(int[] inputIds, int[] labels, Task task) implements DataRecord {}
}
