package io.liquid4j.demo.world;

import io.liquid4j.image.RgbImage;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * Scores the demo's outputs exactly: a picture against the scene it should show (from pixels
 * alone, see {@link #detect}), and a caption against the scene it describes. The scorer is
 * stateless; one instance can be shared.
 */
public final class ShapeScorer {
    public ShapeScorer() {}

    /**
     * The shapes in a picture, largest first: components of pixels that stand out from the light
     * background, with specks ignored, each with the nearest palette colour, the kind whose outline
     * fits best, its size and the position nearest its centre.
     */
    public List<Detection> detect(RgbImage image) { return ShapeDetector.detect(image); }

    /**
     * Whether the picture shows the scene: count is whether it has exactly as many shapes; shapes
     * are matched to the expected ones by position (the pairing whose position anchors lie nearest
     * the expected ones, larger detections first on ties), and each attribute is right only if
     * right for every expected shape. An expected shape left without a detection gets every
     * attribute wrong.
     */
    public Judgement judge(RgbImage image, Scene expected) {
        List<Detection> found = detect(image);
        List<Shape> want = expected.shapes();
        int[] match = Pairing.best(want.size(), found.size(),
                (i, j) -> -anchorDistance(found.get(j).position(), want.get(i).position()));
        return verdict(want, found, match, Detection::colour, Detection::kind, Detection::position, (d, s) -> d.size() == s.size());
    }

    /**
     * The verdict over paired shapes: an attribute is right only if every expected shape has a
     * partner (match[i] &gt;= 0) that gets it right; count is whether as many were found as expected.
     */
    private static <T> Judgement verdict(List<Shape> want, List<T> got, int[] match, Function<T, Colour> colourOf, Function<T, ShapeKind> kindOf,
                                         Function<T, Position> positionOf, BiPredicate<T, Shape> sizeRight) {
        boolean colour = true, kind = true, position = true, size = true;
        for (int i = 0; i < want.size(); i++) {
            Shape s = want.get(i);
            if (match[i] < 0) {
                colour = kind = position = size = false;
                continue;
            }
            T g = got.get(match[i]);
            colour &= colourOf.apply(g) == s.colour();
            kind &= kindOf.apply(g) == s.kind();
            position &= positionOf.apply(g) == s.position();
            size &= sizeRight.test(g, s);
        }
        return Judgement.of(got.size() == want.size(), colour, kind, position, size);
    }

    /** Distance between two position anchors, in image fractions. */
    private static double anchorDistance(Position a, Position b) { return Math.hypot(a.fx() - b.fx(), a.fy() - b.fy()); }

    /**
     * Whether a caption says what the scene shows. Parsed shapes are paired with the scene's shapes
     * to agree on as many attributes as possible. Colour, kind and position are right only where
     * the caption states them correctly; an unstated size counts as right, since some phrasings
     * leave it out, but a wrongly stated one does not. count is whether the caption names exactly
     * as many shapes.
     */
    public Judgement judgeCaption(Scene truth, ParsedCaption caption) {
        List<Shape> want = truth.shapes();
        List<ParsedShape> said = caption.shapes();
        int[] match = Pairing.best(want.size(), said.size(), (i, j) -> agreement(said.get(j), want.get(i)));
        return verdict(want, said, match, ParsedShape::colour, ParsedShape::kind, ParsedShape::position, (p, s) -> p.size() == null || p.size() == s.size());
    }

    /** Attributes the parsed shape states rightly, minus those it states wrongly. */
    private static int agreement(ParsedShape p, Shape s) {
        int score = 0;
        if (p.kind() != null) score += p.kind() == s.kind() ? 1 : -1;
        if (p.colour() != null) score += p.colour() == s.colour() ? 1 : -1;
        if (p.size() != null) score += p.size() == s.size() ? 1 : -1;
        if (p.position() != null) score += p.position() == s.position() ? 1 : -1;
        return score;
    }

    /**
     * The scorer checked against the renderer: the fraction of n scenes sampled from seed (held-out
     * pairs allowed) whose clean render it judges right in every scored attribute. The demo prints
     * it and requires at least 0.99.
     */
    public static double validate(ShapesWorld world, int n, long seed) {
        if (n <= 0) throw new IllegalArgumentException("validation needs at least one scene, got " + n);
        SplittableRandom rng = new SplittableRandom(seed);
        ShapeScorer scorer = new ShapeScorer();
        int right = 0;
        for (int i = 0; i < n; i++) {
            Scene scene = world.sample(rng, true);
            if (scorer.judge(world.render(scene), scene).all()) right++;
        }
        return (double) right / n;
    }
}
