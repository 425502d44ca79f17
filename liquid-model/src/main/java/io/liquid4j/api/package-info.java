/**
 * The embedding API of liquid4j: what a JVM application needs to run a text language model or a
 * Liquid model without the CLI.
 *
 * <ul>
 *   <li>{@link io.liquid4j.api.LiquidModel}: load a model directory ({@code loader(dir).device(..).dtype(..).load()}),
 *       generate text (streaming through a {@code Consumer<String>}), tokenize and detokenize,
 *       generate images with classifier-free guidance, caption or ask about an image, train;</li>
 *   <li>{@link io.liquid4j.api.GenerationSettings}, {@link io.liquid4j.api.ImageSettings},
 *       {@link io.liquid4j.api.TrainingSettings}: immutable settings made by builders;</li>
 *   <li>{@link io.liquid4j.api.Vqgan}: the VQGAN image tokenizer (image ⇄ codes);</li>
 *   <li>{@link io.liquid4j.api.Training}, {@link io.liquid4j.api.TrainingExample}: training steps in memory;</li>
 *   <li>{@link io.liquid4j.api.RandomModel}: a new model directory with random weights.</li>
 * </ul>
 *
 * <p>The other public packages of the library jars (the tensor engine, nn, generate, liquid,
 * tokenizer, image) are usable but may change between versions. Not API at all: packages named
 * {@code internal}, and the backends {@code io.liquid4j.tensor.cpu} and
 * {@code io.liquid4j.tensor.cuda}, whose public members exist for the engine's own packages.
 *
 * <p>Every entry point needs the JVM flags
 * {@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED}; docs/EMBEDDING.md
 * says where to put them.
 */
package io.liquid4j.api;
