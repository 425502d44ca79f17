package io.liquid4j.demo;

import io.liquid4j.cli.LiquidCli;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs `liquid` subcommands in this JVM, exactly as a user types them: the demo's stages are
 * the ordinary commands (train-tokenizer, init, vq train, extend-vocab, prepare, train, eval).
 */
final class Cli {
    private final String device;

    /** device: the --device value passed to every command that takes one. */
    Cli(String device) { this.device = device; }

    /** Runs the command; a non-zero exit becomes an exception naming the command line. */
    void run(boolean takesDevice, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (takesDevice) {
            all.add("--device");
            all.add(device);
        }
        System.err.println("      $ liquid " + String.join(" ", all));
        int rc = LiquidCli.execute(all.toArray(String[]::new));
        if (rc != 0) throw new IllegalStateException("`liquid " + String.join(" ", all) + "` failed with exit code " + rc + " (its error is above)");
    }
}
