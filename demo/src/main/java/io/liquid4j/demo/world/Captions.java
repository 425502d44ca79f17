package io.liquid4j.demo.world;

import java.util.List;

/**
 * The caption templates of ShapesWorld. Several phrasings per scene teach the model that the same
 * content can be said in different words; some leave the size out, so a caption is only ever
 * scored on size when it states one. The first phrasing is the canonical prompt.
 */
final class Captions {
    private Captions() {}

    /** Every phrasing of the scene, the canonical one first. */
    static List<String> all(Scene scene) {
        List<Shape> s = scene.shapes();
        if (s.size() == 1) {
            Shape a = s.get(0);
            return List.of(
                    nounPhrase(a, true) + " " + where(a.position()),
                    "there is " + nounPhrase(a, false) + " " + whereAlt(a.position()),
                    where(a.position()) + " there is " + nounPhrase(a, true),
                    "the picture shows " + nounPhrase(a, true) + " " + where(a.position()),
                    nounPhrase(a, false) + " " + where(a.position()),
                    "an image of " + nounPhrase(a, true) + " " + whereAlt(a.position()));
        }
        Shape a = s.get(0), b = s.get(1);
        return List.of(
                nounPhrase(a, true) + " " + where(a.position()) + " and " + nounPhrase(b, true) + " " + where(b.position()),
                "there is " + nounPhrase(a, false) + " " + where(a.position()) + " and " + nounPhrase(b, false) + " " + where(b.position()),
                "the picture shows " + nounPhrase(a, true) + " " + where(a.position()) + " and " + nounPhrase(b, true) + " " + where(b.position()),
                where(a.position()) + " there is " + nounPhrase(a, true) + " and " + where(b.position()) + " there is " + nounPhrase(b, true),
                nounPhrase(a, false) + " " + whereAlt(a.position()) + " and " + nounPhrase(b, true) + " " + whereAlt(b.position()));
    }

    /** The canonical phrasing: every shape with its size, e.g. "a small red circle on the left". */
    static String prompt(Scene scene) { return all(scene).get(0); }

    /** "a small red circle", "an orange cross" (withSize false). */
    static String nounPhrase(Shape s, boolean withSize) {
        String words = (withSize ? s.size().word() + " " : "") + s.colour().word() + " " + s.kind().word();
        return article(words) + " " + words;
    }

    /** "a" or "an" before words. */
    static String article(String words) { return "aeiou".indexOf(words.charAt(0)) >= 0 ? "an" : "a"; }

    /** The usual phrase for a position: "on the left", "at the top", "in the centre". */
    static String where(Position p) {
        return switch (p) {
            case LEFT -> "on the left";
            case RIGHT -> "on the right";
            case TOP -> "at the top";
            case BOTTOM -> "at the bottom";
            case CENTRE -> "in the centre";
        };
    }

    /** A second phrase for a position: "at the left side", "at the top of the picture", "in the middle". */
    static String whereAlt(Position p) {
        return switch (p) {
            case LEFT -> "at the left side";
            case RIGHT -> "at the right side";
            case TOP -> "at the top of the picture";
            case BOTTOM -> "at the bottom of the picture";
            case CENTRE -> "in the middle";
        };
    }
}
