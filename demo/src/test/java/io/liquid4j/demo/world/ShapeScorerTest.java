package io.liquid4j.demo.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.image.RgbImage;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The pixel scorer against the renderer: clean, degraded as a VQGAN round trip would, and wrong. */
class ShapeScorerTest {
    private final ShapesWorld world = new ShapesWorld();
    private final ShapeScorer scorer = new ShapeScorer();

    @Test
    void judgesCleanRendersRight() {
        double rate = ShapeScorer.validate(world, 2_000, 1);
        assertTrue(rate >= 0.99, "validate rate " + rate);
        assertTrue(ShapeScorer.validate(new ShapesWorld(16), 300, 2) >= 0.99);
        assertTrue(ShapeScorer.validate(new ShapesWorld(64), 100, 3) >= 0.99);
        for (Scene s : world.evaluationScenes(5)) {
            Judgement j = scorer.judge(world.render(s), s);
            assertTrue(j.all() && j.size(), () -> s + " " + j + " " + scorer.detect(world.render(s)));
        }
    }

    @Test
    void survivesBlurAndNoise() {
        Random noise = new Random(12);
        assertTrue(rate(ShapeScorerTest::boxBlur, 500, 21) >= 0.95, "blur");
        assertTrue(rate(img -> gaussianNoise(img, 12, noise), 500, 22) >= 0.95, "noise");
        assertTrue(rate(img -> gaussianNoise(boxBlur(img), 12, noise), 500, 23) >= 0.95, "blur and noise");
        // Twice the blur and more noise than asked for, as a margin for real VQGAN reconstructions.
        assertTrue(rate(img -> gaussianNoise(boxBlur(boxBlur(img)), 20, noise), 300, 24) >= 0.95, "double blur and more noise");
    }

    private double rate(UnaryOperator<RgbImage> degrade, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int right = 0;
        for (int i = 0; i < n; i++) {
            Scene s = world.sample(rng, true);
            if (scorer.judge(degrade.apply(world.render(s)), s).all()) right++;
        }
        return (double) right / n;
    }

    @Test
    void rejectsRendersOfOtherScenes() {
        SplittableRandom rng = new SplittableRandom(31);
        for (int i = 0; i < 200; i++) {
            Scene s = world.sample(rng, true);
            RgbImage img = world.render(s);
            Shape first = s.shapes().get(0);
            Colour otherColour = Colour.values()[(first.colour().ordinal() + 1 + rng.nextInt(5)) % 6];
            ShapeKind otherKind = ShapeKind.values()[(first.kind().ordinal() + 1 + rng.nextInt(3)) % 4];
            Size otherSize = first.size() == Size.SMALL ? Size.LARGE : Size.SMALL;
            Judgement colour = scorer.judge(img, replaceFirst(s, new Shape(first.kind(), otherColour, first.size(), first.position())));
            assertFalse(colour.colour() || colour.all(), s::toString);
            assertTrue(colour.kind() && colour.position() && colour.count());
            Judgement kind = scorer.judge(img, replaceFirst(s, new Shape(otherKind, first.colour(), first.size(), first.position())));
            assertFalse(kind.kind() || kind.all(), s::toString);
            assertTrue(kind.colour() && kind.position());
            Judgement size = scorer.judge(img, replaceFirst(s, new Shape(first.kind(), first.colour(), otherSize, first.position())));
            assertFalse(size.size(), s::toString);
            assertTrue(size.all(), "size is not part of all");
            if (s.shapes().size() == 1) {
                Position other = Position.values()[(first.position().ordinal() + 1 + rng.nextInt(4)) % 5];
                Judgement position = scorer.judge(img, Scene.of(new Shape(first.kind(), first.colour(), first.size(), other), s.textured(), 0));
                assertFalse(position.position() || position.all(), s::toString);
                // A one-shape picture judged against a two-shape scene has the wrong count.
                Position side = first.position() == Position.CENTRE ? Position.LEFT : first.position();
                Shape moved = new Shape(first.kind(), first.colour(), first.size(), side);
                Judgement count = scorer.judge(img, Scene.of(moved, new Shape(otherKind, otherColour, otherSize, side.opposite()), false, 0));
                assertFalse(count.count() || count.all(), s::toString);
            } else {
                Scene swapped = new Scene(List.of(s.shapes().get(1), first), s.textured(), 0);
                assertTrue(scorer.judge(img, swapped).all(), "shapes pair up by position, not by order");
                Scene flipped = new Scene(s.shapes().stream()
                        .map(sh -> new Shape(sh.kind(), sh.colour(), sh.size(), sh.position().opposite())).toList(), s.textured(), 0);
                boolean symmetric = first.kind() == s.shapes().get(1).kind() && first.colour() == s.shapes().get(1).colour();
                if (!symmetric) assertFalse(scorer.judge(img, flipped).all(), s::toString);
            }
        }
    }

    private static Scene replaceFirst(Scene s, Shape first) {
        return new Scene(s.shapes().size() == 1 ? List.of(first) : List.of(first, s.shapes().get(1)), s.textured(), s.detailSeed());
    }

    @Test
    void emptyBackgroundHasNoShapes() {
        Scene s = Scene.of(new Shape(ShapeKind.SQUARE, Colour.RED, Size.LARGE, Position.CENTRE), true, 0);
        RgbImage plain = RgbImage.filled(32, 32, 236, 234, 226);
        assertEquals(List.of(), scorer.detect(plain));
        Judgement j = scorer.judge(plain, s);
        assertFalse(j.count() || j.colour() || j.kind() || j.position() || j.size() || j.all());
        assertEquals(List.of(), scorer.detect(gaussianNoise(plain, 12, new Random(1))));
    }

    @Test
    void ignoresSpecks() {
        RgbImage img = RgbImage.filled(32, 32, 240, 240, 240);
        for (int[] p : new int[][] {{5, 5}, {6, 5}, {20, 25}}) {
            int o = (p[1] * 32 + p[0]) * 3;
            img.data()[o] = (byte) 220;
            img.data()[o + 1] = 30;
            img.data()[o + 2] = 30;
        }
        assertEquals(List.of(), scorer.detect(img));
    }

    /** 3×3 box blur with edge clamping: the softening a VQGAN decoder gives. */
    static RgbImage boxBlur(RgbImage img) {
        int w = img.width(), h = img.height();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) sum += img.get(Math.clamp(x + dx, 0, w - 1), Math.clamp(y + dy, 0, h - 1), c);
                    }
                    out[(y * w + x) * 3 + c] = (byte) Math.round(sum / 9f);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Independent gaussian noise of standard deviation sigma on every channel, clamped to 0..255. */
    static RgbImage gaussianNoise(RgbImage img, double sigma, Random random) {
        byte[] out = img.data().clone();
        for (int i = 0; i < out.length; i++) out[i] = (byte) Math.clamp(Math.round((out[i] & 0xFF) + random.nextGaussian() * sigma), 0, 255);
        return new RgbImage(img.width(), img.height(), out);
    }
}
