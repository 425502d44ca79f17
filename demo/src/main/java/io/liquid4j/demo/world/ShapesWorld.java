package io.liquid4j.demo.world;

import io.liquid4j.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The world of {@code liquid demo}: samples scenes of one or two coloured shapes, renders them to
 * imageSize×imageSize RGB pictures, and describes them in captions and a small text corpus.
 *
 * <p>Four colour×kind pairs — red triangle, green circle, blue cross, yellow square — are held
 * out: training never sees them, in pictures or in text, so drawing or naming one tests whether the
 * model composes a colour and a shape it only ever saw apart.
 */
public final class ShapesWorld {
    /** Changes whenever the same seed would render other pictures or text: a demo rerun then renders its data again. */
    public static final int VERSION = 4;
    /** The image size the demo uses. */
    public static final int DEFAULT_IMAGE_SIZE = 32;
    /** Probability that a sampled scene has a single shape. */
    public static final double SINGLE_SHAPE_PROBABILITY = 0.75;

    private static final List<ColourKind> HELD_OUT = List.of(
            new ColourKind(Colour.RED, ShapeKind.TRIANGLE),
            new ColourKind(Colour.GREEN, ShapeKind.CIRCLE),
            new ColourKind(Colour.BLUE, ShapeKind.CROSS),
            new ColourKind(Colour.YELLOW, ShapeKind.SQUARE));

    private final int imageSize;
    private final ShapeRenderer renderer;

    /** A world of 32×32 pictures. */
    public ShapesWorld() { this(DEFAULT_IMAGE_SIZE); }

    /** A world of imageSize×imageSize pictures; at least 16 (shapes get too few pixels below that). */
    public ShapesWorld(int imageSize) {
        if (imageSize < 16 || imageSize > 4096) throw new IllegalArgumentException("image size must be 16..4096, got " + imageSize);
        this.imageSize = imageSize;
        this.renderer = new ShapeRenderer(imageSize);
    }

    /** The width and height of rendered pictures, in pixels. */
    public int imageSize() { return imageSize; }

    /** The four held-out colour×kind pairs: (RED, TRIANGLE), (GREEN, CIRCLE), (BLUE, CROSS), (YELLOW, SQUARE). */
    public static List<ColourKind> heldOutPairs() { return HELD_OUT; }

    /** Whether training never shows this colour on this kind of shape. */
    public static boolean isHeldOut(Colour colour, ShapeKind kind) { return HELD_OUT.contains(new ColourKind(colour, kind)); }

    /**
     * A random scene: one shape with probability 0.75, otherwise two at LEFT+RIGHT or TOP+BOTTOM in
     * either order; kind, colour, size and position uniform. With allowHeldOut false, no shape has a
     * held-out colour×kind pair (those are redrawn).
     */
    public Scene sample(RandomGenerator rng, boolean allowHeldOut) {
        boolean single = rng.nextDouble() < SINGLE_SHAPE_PROBABILITY;
        List<Shape> shapes;
        if (single) {
            shapes = List.of(randomShape(rng, Position.values()[rng.nextInt(Position.values().length)], allowHeldOut));
        } else {
            Position first = rng.nextBoolean() ? Position.LEFT : Position.TOP;
            if (rng.nextBoolean()) first = first.opposite();
            shapes = List.of(randomShape(rng, first, allowHeldOut), randomShape(rng, first.opposite(), allowHeldOut));
        }
        boolean textured = rng.nextBoolean();
        return new Scene(shapes, textured, rng.nextLong());
    }

    /** A shape at the given position, uniform over kind, colour and size. */
    static Shape randomShape(RandomGenerator rng, Position position, boolean allowHeldOut) {
        while (true) {
            ShapeKind kind = ShapeKind.values()[rng.nextInt(ShapeKind.values().length)];
            Colour colour = Colour.values()[rng.nextInt(Colour.values().length)];
            Size size = rng.nextBoolean() ? Size.SMALL : Size.LARGE;
            if (allowHeldOut || !isHeldOut(colour, kind)) return new Shape(kind, colour, size, position);
        }
    }

    /** The scene's picture; the same scene always gives the same pixels. */
    public RgbImage render(Scene scene) { return renderer.render(scene); }

    /** The boxes and colours render() draws, for tests and debugging. */
    List<Placement> layout(Scene scene) { return renderer.layout(scene); }

    /**
     * Every phrasing of the scene, the canonical {@link #prompt} first: lowercase words without a
     * final period, some of them leaving out the size ("there is a red circle at the left side").
     */
    public List<String> captions(Scene scene) { return Captions.all(scene); }

    /** One of {@link #captions} at random. */
    public String caption(Scene scene, RandomGenerator rng) {
        List<String> all = captions(scene);
        return all.get(rng.nextInt(all.size()));
    }

    /** The canonical phrasing, always with sizes: "a small red circle on the left". */
    public String prompt(Scene scene) { return Captions.prompt(scene); }

    /**
     * A fixed evaluation set: one single-shape scene per colour×kind pair (24, the held-out pairs
     * included, in Colour then ShapeKind order), each with a size, position and background drawn
     * from seed, followed by twoShapeScenes two-shape scenes without held-out pairs.
     */
    public List<Scene> evaluationScenes(long seed, int twoShapeScenes) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Scene> out = new ArrayList<>();
        for (Colour colour : Colour.values()) {
            for (ShapeKind kind : ShapeKind.values()) {
                Size size = rng.nextBoolean() ? Size.SMALL : Size.LARGE;
                Position position = Position.values()[rng.nextInt(Position.values().length)];
                out.add(Scene.of(new Shape(kind, colour, size, position), rng.nextBoolean(), rng.nextLong()));
            }
        }
        for (int i = 0; i < twoShapeScenes; i++) {
            // Alternate the axis and the order so both pairings appear in both orders.
            Position first = switch (i % 4) {
                case 0 -> Position.LEFT;
                case 1 -> Position.TOP;
                case 2 -> Position.RIGHT;
                default -> Position.BOTTOM;
            };
            out.add(Scene.of(randomShape(rng, first, false), randomShape(rng, first.opposite(), false), rng.nextBoolean(), rng.nextLong()));
        }
        return out;
    }

    /** {@link #evaluationScenes(long, int)} with 8 two-shape scenes. */
    public List<Scene> evaluationScenes(long seed) { return evaluationScenes(seed, 8); }

    /**
     * n short documents (1–4 sentences) about this world: facts about shapes and colours, little
     * stories, comparisons, questions and answers, and descriptions of scenes, in a small closed
     * vocabulary. No sentence ever puts a held-out colour on its held-out kind.
     */
    public List<String> textCorpus(RandomGenerator rng, int n) { return new TextCorpus(this).documents(rng, n); }
}
