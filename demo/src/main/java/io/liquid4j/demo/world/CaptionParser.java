package io.liquid4j.demo.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads back what a caption says about shapes, to score captions a model writes. It looks only at
 * attribute words (colours, kinds, sizes, positions and a few synonyms) and ignores everything
 * else, so it accepts every phrasing of {@link ShapesWorld#captions} and tolerates extra or unknown
 * words. Shapes are separated by "and", and also, once a shape's kind is named, by a repeated
 * attribute or a new colour or size adjective ("a red circle on the left, a blue square on the
 * right"), which catches lists without "and".
 */
public final class CaptionParser {
    private static final Map<String, ShapeKind> KINDS = Map.of(
            "circle", ShapeKind.CIRCLE, "circles", ShapeKind.CIRCLE, "ball", ShapeKind.CIRCLE, "disc", ShapeKind.CIRCLE,
            "square", ShapeKind.SQUARE, "squares", ShapeKind.SQUARE,
            "triangle", ShapeKind.TRIANGLE, "triangles", ShapeKind.TRIANGLE,
            "cross", ShapeKind.CROSS, "crosses", ShapeKind.CROSS);
    private static final Map<String, Colour> COLOURS = Map.of(
            "red", Colour.RED, "green", Colour.GREEN, "blue", Colour.BLUE, "yellow", Colour.YELLOW,
            "purple", Colour.PURPLE, "violet", Colour.PURPLE, "orange", Colour.ORANGE);
    private static final Map<String, Size> SIZES = Map.of(
            "small", Size.SMALL, "little", Size.SMALL, "tiny", Size.SMALL,
            "large", Size.LARGE, "big", Size.LARGE, "huge", Size.LARGE);
    private static final Map<String, Position> POSITIONS = Map.of(
            "left", Position.LEFT, "right", Position.RIGHT, "top", Position.TOP, "bottom", Position.BOTTOM,
            "centre", Position.CENTRE, "center", Position.CENTRE, "middle", Position.CENTRE);

    /** Verbs after which a colour or size describes the shape just named. */
    private static final Set<String> PREDICATIVE = Set.of("is", "are", "was", "looks", "becomes", "turns");

    private CaptionParser() {}

    /** The shapes text describes; shapes without a single attribute word are dropped. */
    public static ParsedCaption parse(String text) {
        List<ParsedShape> out = new ArrayList<>();
        // Any non-letter separates words, so punctuation and digits never glue to a word.
        String[] words = text.toLowerCase(Locale.ROOT).split("[^a-z]+");
        Builder current = new Builder();
        String previous = "";
        for (String w : words) {
            if (w.isEmpty()) continue;
            String before = previous;
            previous = w;
            if (w.equals("and")) {
                current.finishInto(out);
                current = new Builder();
                continue;
            }
            ShapeKind kind = KINDS.get(w);
            Colour colour = COLOURS.get(w);
            Size size = SIZES.get(w);
            Position position = POSITIONS.get(w);
            if (kind == null && colour == null && size == null && position == null) continue;
            // After the shape is named, a second value for any slot starts the next shape, and so
            // does a size or colour word that is not predicative ("the circle is red"): in English
            // those come before the noun, so they begin the next noun phrase.
            boolean adjective = (colour != null || size != null) && !PREDICATIVE.contains(before);
            if (current.kind != null && (adjective || current.wouldOverwrite(kind, colour, size, position))) {
                current.finishInto(out);
                current = new Builder();
            }
            current.set(kind, colour, size, position);
        }
        current.finishInto(out);
        return new ParsedCaption(out);
    }

    private static final class Builder {
        ShapeKind kind;
        Colour colour;
        Size size;
        Position position;

        boolean wouldOverwrite(ShapeKind k, Colour c, Size s, Position p) {
            return (k != null && kind != null) || (c != null && colour != null) || (s != null && size != null) || (p != null && position != null);
        }

        void set(ShapeKind k, Colour c, Size s, Position p) {
            if (k != null) kind = k;
            if (c != null) colour = c;
            if (s != null) size = s;
            if (p != null) position = p;
        }

        void finishInto(List<ParsedShape> out) {
            ParsedShape shape = new ParsedShape(kind, colour, size, position);
            if (!shape.isEmpty()) out.add(shape);
        }
    }
}
