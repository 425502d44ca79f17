package io.liquid4j.demo.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Reading captions back: every phrasing ShapesWorld writes, and the loose text a model writes. */
class CaptionParserTest {
    private final ShapesWorld world = new ShapesWorld();

    @Test
    void everyPhrasingParsesBackToTheScene() {
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < 1_000; i++) {
            Scene scene = world.sample(rng, true);
            for (String caption : world.captions(scene)) {
                List<ParsedShape> parsed = CaptionParser.parse(caption).shapes();
                assertEquals(scene.shapes().size(), parsed.size(), caption);
                for (int k = 0; k < parsed.size(); k++) {
                    Shape want = scene.shapes().get(k);
                    ParsedShape got = parsed.get(k);
                    assertEquals(want.kind(), got.kind(), caption);
                    assertEquals(want.colour(), got.colour(), caption);
                    assertEquals(want.position(), got.position(), caption);
                    assertTrue(got.size() == null || got.size() == want.size(), caption);
                }
                assertTrue(new ShapeScorer().judgeCaption(scene, CaptionParser.parse(caption)).all(), caption);
            }
            assertEquals(scene.shapes().get(0).size(), CaptionParser.parse(world.prompt(scene)).shapes().get(0).size());
        }
    }

    @Test
    void toleratesCasePunctuationSynonymsAndUnknownWords() {
        assertEquals(List.of(new ParsedShape(ShapeKind.CIRCLE, Colour.RED, Size.LARGE, Position.CENTRE)),
                CaptionParser.parse("  Hmm, I see a BIG red circle... in the middle!!").shapes());
        assertEquals(List.of(new ParsedShape(ShapeKind.SQUARE, Colour.GREEN, Size.SMALL, Position.TOP)),
                CaptionParser.parse("at the top: the square is green. it is small").shapes());
        List<ParsedShape> two = CaptionParser.parse("a red circle on the left, a tiny violet square on the right").shapes();
        assertEquals(List.of(new ParsedShape(ShapeKind.CIRCLE, Colour.RED, null, Position.LEFT),
                new ParsedShape(ShapeKind.SQUARE, Colour.PURPLE, Size.SMALL, Position.RIGHT)), two);
        assertEquals(List.of(new ParsedShape(ShapeKind.TRIANGLE, null, null, null)), CaptionParser.parse("zzz triangle qqq").shapes());
        assertEquals(List.of(), CaptionParser.parse("").shapes());
        assertEquals(List.of(), CaptionParser.parse("nothing to see here .").shapes());
        ParsedShape colourOnly = CaptionParser.parse("something yellow at the bottom and").shapes().get(0);
        assertNull(colourOnly.kind());
        assertEquals(Colour.YELLOW, colourOnly.colour());
        assertEquals(Position.BOTTOM, colourOnly.position());
    }

    @Test
    void captionJudgementComparesWhatIsSaid() {
        ShapeScorer scorer = new ShapeScorer();
        Shape red = new Shape(ShapeKind.CIRCLE, Colour.RED, Size.SMALL, Position.LEFT);
        Shape blue = new Shape(ShapeKind.SQUARE, Colour.BLUE, Size.LARGE, Position.RIGHT);
        Scene one = Scene.of(red, false, 0), two = Scene.of(red, blue, false, 0);
        assertEquals(Judgement.of(true, true, true, true, true), scorer.judgeCaption(one, CaptionParser.parse("a red circle on the left")));
        assertEquals(Judgement.of(true, true, true, true, false), scorer.judgeCaption(one, CaptionParser.parse("a large red circle on the left")));
        assertEquals(Judgement.of(true, false, true, true, true), scorer.judgeCaption(one, CaptionParser.parse("a circle on the left")));
        assertEquals(Judgement.of(true, true, false, false, true), scorer.judgeCaption(one, CaptionParser.parse("a red square at the top")));
        assertEquals(Judgement.of(false, false, false, false, false), scorer.judgeCaption(one, CaptionParser.parse("an empty picture")));
        // Named in the other order, the shapes still pair up by what is said about them.
        assertTrue(scorer.judgeCaption(two, CaptionParser.parse("a large blue square on the right and a red circle on the left")).all());
        Judgement half = scorer.judgeCaption(two, CaptionParser.parse("a small red circle on the left"));
        assertEquals(Judgement.of(false, false, false, false, false), half);
        Judgement extra = scorer.judgeCaption(one, CaptionParser.parse("a red circle on the left and a green cross at the top"));
        assertEquals(Judgement.of(false, true, true, true, true), extra);
    }
}
