package io.liquid4j.api;

/**
 * One example of a training batch, in the three kinds Liquid trains on. Images are given as
 * their VQGAN codes ({@link Vqgan#encode}).
 */
public sealed interface TrainingExample {
    /** Plain text (next-token prediction over all of it). */
    static TrainingExample text(String text) { return new Text(text); }

    /** Text-to-image: the caption (with one of Liquid's generation phrases) followed by the image codes, the loss on the image. */
    static TrainingExample textToImage(String caption, int[] codes) { return new TextToImage(caption, codes.clone()); }

    /** Captioning: the image codes and Liquid's caption instruction, then the caption, the loss on the caption. */
    static TrainingExample caption(int[] codes, String caption) { return new Caption(codes.clone(), caption); }

    /** See {@link TrainingExample#text}. */
    record Text(String text) implements TrainingExample {}

    /** See {@link TrainingExample#textToImage}. */
    record TextToImage(String caption, int[] codes) implements TrainingExample {}

    /** See {@link TrainingExample#caption}. */
    record Caption(int[] codes, String caption) implements TrainingExample {}
}
