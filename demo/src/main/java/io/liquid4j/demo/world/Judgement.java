package io.liquid4j.demo.world;

/**
 * Whether a picture (or a caption) matches a scene, attribute by attribute. With two shapes an
 * attribute is right only if it is right for both. all = count ∧ colour ∧ kind ∧ position; size is
 * reported but left out of all, since some captions never state it and it is the least visible
 * attribute after a lossy image round trip.
 */
public record Judgement(boolean count, boolean colour, boolean kind, boolean position, boolean size, boolean all) {
    public Judgement {
        if (all != (count && colour && kind && position)) throw new IllegalArgumentException("all must equal count && colour && kind && position");
    }

    /** A judgement with all derived from the other fields. */
    public static Judgement of(boolean count, boolean colour, boolean kind, boolean position, boolean size) {
        return new Judgement(count, colour, kind, position, size, count && colour && kind && position);
    }
}
