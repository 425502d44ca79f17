package io.liquid4j.demo.world;

import java.util.List;

/** The shapes a caption describes, in the order it names them; empty if it names none. */
public record ParsedCaption(List<ParsedShape> shapes) {
    public ParsedCaption {
        shapes = List.copyOf(shapes);
    }
}
