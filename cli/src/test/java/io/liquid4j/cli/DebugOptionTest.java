package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors are one line, and --debug adds the stack trace wherever it stands on the command line. */
class DebugOptionTest {
    @TempDir Path tmp;

    @Test void debugBeforeOrAfterTheSubcommandPrintsTheTrace() {
        String missing = tmp.resolve("none").toString();
        CliRun plain = CliRun.of("eval", "perplexity", "--model", missing, "--data", missing);
        assertEquals(1, plain.code());
        assertTrue(plain.err().startsWith("error: ") && plain.err().strip().lines().count() == 1, plain.err());
        assertFalse(plain.err().contains("\tat "), "no trace without --debug");
        for (String[] args : new String[][] {
                {"--debug", "eval", "perplexity", "--model", missing, "--data", missing},
                {"eval", "perplexity", "--model", missing, "--data", missing, "--debug"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(1, r.code());
            assertTrue(r.err().contains("\tat "), String.join(" ", args) + " prints the trace:\n" + r.err());
        }
    }
}
