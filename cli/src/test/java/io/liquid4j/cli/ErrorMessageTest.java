package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the CLI prints for errors that are not ours: one line, with what to do. */
class ErrorMessageTest {
    @Test
    void outOfMemorySaysTheLimitAndTheWayOut() {
        String m = LiquidCli.message(new OutOfMemoryError("Java heap space"));
        assertTrue(m.startsWith("out of memory (Java heap space; the heap limit is "), m);
        assertTrue(m.contains("LIQUID_JAVA_OPTS=-Xmx"), m);
        assertEquals("x", LiquidCli.message(new IllegalArgumentException("x")));
        assertEquals("java.lang.IllegalStateException", LiquidCli.message(new IllegalStateException()));
    }
}
