package io.liquid4j.demo.world;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Short text documents about ShapesWorld, for the language half of the demo's training mix. They
 * use the caption vocabulary plus a few dozen words (has, corners, moves, bigger, what, …), so a
 * tiny model can learn them, and tie the words to the pictures' facts (a triangle has three
 * corners, a large shape is bigger than a small one). Every shape mentioned is drawn without the
 * held-out pairs, so text never pairs a held-out colour with its kind either.
 */
final class TextCorpus {
    /** General facts, true in this world; none names a shape with a colour. */
    static final List<String> FACTS = List.of(
            "a triangle has three corners.",
            "a triangle has three sides.",
            "a triangle points up.",
            "a square has four corners.",
            "a square has four equal sides.",
            "a circle has no corners.",
            "a circle is round.",
            "a cross has four arms.",
            "a cross looks like a plus sign.",
            "a large shape is bigger than a small shape.",
            "a small shape is smaller than a large shape.",
            "the left is opposite the right.",
            "the top is opposite the bottom.",
            "the centre is in the middle of the picture.",
            "red and yellow make orange.",
            "red and blue make purple.",
            "blue and yellow make green.",
            "the picture has a light background.",
            "a shape can be red, green, blue, yellow, purple or orange.",
            "a shape can be a circle, a square, a triangle or a cross.",
            "a shape can be small or large.",
            "a picture shows one or two shapes.");

    private final ShapesWorld world;

    TextCorpus(ShapesWorld world) { this.world = world; }

    List<String> documents(RandomGenerator rng, int n) {
        if (n < 0) throw new IllegalArgumentException("document count must be >= 0, got " + n);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(document(rng));
        return out;
    }

    /** One document of 1–4 sentences, its kind chosen uniformly. */
    String document(RandomGenerator rng) {
        List<String> sentences = switch (rng.nextInt(6)) {
            case 0 -> facts(rng);
            case 1 -> description(rng);
            case 2 -> moveStory(rng);
            case 3 -> sizeStory(rng);
            case 4 -> comparison(rng);
            default -> question(rng);
        };
        return String.join(" ", sentences);
    }

    private static List<String> facts(RandomGenerator rng) {
        int count = 1 + rng.nextInt(3);
        List<String> out = new ArrayList<>();
        while (out.size() < count) {
            String f = FACTS.get(rng.nextInt(FACTS.size()));
            if (!out.contains(f)) out.add(f);
        }
        return out;
    }

    /** A caption of a scene, then up to two sentences restating its parts. */
    private List<String> description(RandomGenerator rng) {
        Scene scene = world.sample(rng, false);
        List<String> out = new ArrayList<>();
        out.add(world.caption(scene, rng) + ".");
        Shape a = scene.shapes().get(0);
        if (scene.shapes().size() == 2) {
            out.add("the " + a.colour().word() + " " + a.kind().word() + " is " + relation(a.position()) + " the "
                    + scene.shapes().get(1).colour().word() + " " + scene.shapes().get(1).kind().word() + ".");
        } else {
            int extra = rng.nextInt(3);
            if (extra >= 1) out.add("the " + a.kind().word() + " is " + a.colour().word() + ".");
            if (extra >= 2) out.add("the " + a.colour().word() + " " + a.kind().word() + " is " + a.size().word() + ".");
        }
        return out;
    }

    /** How a shape at p stands to the one at the opposite position. */
    private static String relation(Position p) {
        return switch (p) {
            case LEFT -> "to the left of";
            case RIGHT -> "to the right of";
            case TOP -> "above";
            case BOTTOM -> "below";
            case CENTRE -> throw new IllegalArgumentException("no relation from the centre");
        };
    }

    /** "there is a small red circle on the left. it moves to the centre. now the red circle is in the centre." */
    private static List<String> moveStory(RandomGenerator rng) {
        Position from = randomPosition(rng), to;
        do {
            to = randomPosition(rng);
        } while (to == from);
        Shape s = ShapesWorld.randomShape(rng, from, false);
        return List.of(
                "there is " + Captions.nounPhrase(s, true) + " " + Captions.where(from) + ".",
                "it moves to the " + to.word() + ".",
                "now the " + s.colour().word() + " " + s.kind().word() + " is " + Captions.where(to) + ".");
    }

    /** "there is a small blue square at the top. it grows. now it is a large blue square." */
    private static List<String> sizeStory(RandomGenerator rng) {
        Shape s = ShapesWorld.randomShape(rng, randomPosition(rng), false);
        Size after = s.size() == Size.SMALL ? Size.LARGE : Size.SMALL;
        return List.of(
                "there is " + Captions.nounPhrase(s, true) + " " + Captions.where(s.position()) + ".",
                after == Size.LARGE ? "it grows." : "it shrinks.",
                "now it is " + Captions.nounPhrase(new Shape(s.kind(), s.colour(), after, s.position()), true) + ".");
    }

    /** "the large blue square is bigger than the small green cross." */
    private static List<String> comparison(RandomGenerator rng) {
        Shape a = ShapesWorld.randomShape(rng, Position.LEFT, false), b = ShapesWorld.randomShape(rng, Position.RIGHT, false);
        String na = "the " + a.size().word() + " " + a.colour().word() + " " + a.kind().word();
        String nb = "the " + b.size().word() + " " + b.colour().word() + " " + b.kind().word();
        String verb;
        if (a.size() == b.size()) verb = " is as big as ";
        else verb = a.size() == Size.LARGE ? " is bigger than " : " is smaller than ";
        List<String> out = new ArrayList<>();
        out.add(na + verb + nb + ".");
        if (rng.nextBoolean()) out.add(FACTS.get(rng.nextInt(FACTS.size())));
        return out;
    }

    /** A statement about one shape, a question about one of its attributes, and the answer. */
    private static List<String> question(RandomGenerator rng) {
        Shape s = ShapesWorld.randomShape(rng, randomPosition(rng), false);
        String intro = "there is " + Captions.nounPhrase(s, true) + " " + Captions.where(s.position()) + ".";
        return switch (rng.nextInt(4)) {
            case 0 -> List.of(intro, "what colour is the " + s.kind().word() + "?", "the " + s.kind().word() + " is " + s.colour().word() + ".");
            case 1 -> List.of(intro, "where is the " + s.colour().word() + " " + s.kind().word() + "?", "it is " + Captions.where(s.position()) + ".");
            case 2 -> List.of(intro, "what shape is " + Captions.where(s.position()) + "?", "it is " + Captions.article(s.kind().word()) + " " + s.kind().word() + ".");
            default -> List.of(intro, "is the " + s.colour().word() + " " + s.kind().word() + " small or large?", "it is " + s.size().word() + ".");
        };
    }

    private static Position randomPosition(RandomGenerator rng) { return Position.values()[rng.nextInt(Position.values().length)]; }
}
