package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Usage errors print one line and where the help is, not the usage block; `liquid completion` prints a script. */
class UsageErrorTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream out0 = System.out, err0 = System.err;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = LiquidCli.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out0);
            System.setErr(err0);
        }
    }

    @Test
    void unknownOptionIsOneLinePlusTheHelpHint() {
        Run r = run("generate", "--model", "m", "--prompt", "x", "--temprature", "1");
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines[0].startsWith("error: Unknown option") && lines[0].contains("'--temprature'"), r.err());
        assertTrue(r.err().contains("--temperature"), "suggests the option meant: " + r.err());
        assertEquals("Try 'liquid generate --help' for more information.", lines[lines.length - 1]);
        assertFalse(r.err().contains("Usage:"), r.err());
    }

    @Test
    void missingRequiredOptionAndUnknownCommand() {
        Run r = run("generate", "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: Missing required option: '--model=DIR'"), r.err());
        assertFalse(r.err().contains("Usage:"), r.err());
        Run c = run("generat");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("generate"), c.err());
        assertTrue(c.err().strip().endsWith("Try 'liquid --help' for more information."), c.err());
    }

    @Test
    void completionScriptCoversTheCommands() {
        Run r = run("completion");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("complete -F"), "a bash completion script");
        assertTrue(r.out().contains("generate") && r.out().contains("--max-new-tokens"), "with the subcommands and their options");
        assertTrue(run("--help").out().contains("completion"), "listed in the help");
    }
}
