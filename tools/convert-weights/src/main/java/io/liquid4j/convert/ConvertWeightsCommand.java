package io.liquid4j.convert;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.List;

/**
 * `convert-weights`: importers and converters. Reachable as `liquid convert-weights ...` (through
 * {@link ConvertWeightsExtension}) and on its own through {@link #main}.
 */
@Command(name = "convert-weights", mixinStandardHelpOptions = true,
        description = "Import and convert checkpoints: inspect, llama2c, dtype, vqgan, extend-vocab.",
        subcommands = {InspectCommand.class, Llama2cCommand.class, DtypeCommand.class, QuantizeCommand.class, VqganConvertCommand.class, ExtendVocabCommand.class, CommandLine.HelpCommand.class})
public final class ConvertWeightsCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.err);
    }

    /** Runs the command on its own: errors print one line on stderr (a stack trace with --debug). */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** As {@link #main} but returns the exit code. */
    public static int execute(String... args) {
        // --debug belongs to the `liquid` top command; accept it here too without declaring it,
        // since a declared option would clash with the inherited one under `liquid`.
        List<String> rest = new ArrayList<>(List.of(args));
        boolean debug = rest.remove("--debug");
        CommandLine cl = new CommandLine(new ConvertWeightsCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            if (debug) ex.printStackTrace(System.err);
            else System.err.println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 1;
        });
        return cl.execute(rest.toArray(String[]::new));
    }
}
