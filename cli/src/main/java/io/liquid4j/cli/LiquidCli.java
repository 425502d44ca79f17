package io.liquid4j.cli;

import java.util.List;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The `liquid` command line: subcommands print human output on stderr, machine output on stdout. */
@Command(name = "liquid", mixinStandardHelpOptions = true, versionProvider = LiquidCli.Version.class,
        description = "liquid4j: a pure-Java engine for unified text+image language models (Liquid).",
        subcommands = {InfoCommand.class, InitCommand.class, TokenizeCommand.class, TrainTokenizerCommand.class, GenerateCommand.class,
                ImagineCommand.class, CaptionCommand.class, ChatCommand.class, PrepareCommand.class, TrainCommand.class, EvalCommand.class,
                LogitsCommand.class, VqCommand.class, CommandLine.HelpCommand.class})
public final class LiquidCli implements Runnable {
    @Option(names = "--debug", description = "Print stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean debug;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new LiquidCli());
        for (CliExtension ext : java.util.ServiceLoader.load(CliExtension.class)) cl.addSubcommand(ext.command());
        // `liquid completion`: picocli's bash/zsh completion script for every command above
        CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
        completion.getCommandSpec().usageMessage().hidden(false)
                .description("Print a bash/zsh completion script for liquid; load it with: source <(./liquid completion)");
        cl.addSubcommand("completion", completion);
        cl.setParameterExceptionHandler(LiquidCli::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            boolean debug = debugAnywhere(parse);
            if (debug) ex.printStackTrace(System.err);
            else System.err.println("error: " + message(ex));
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // an Error is not an Exception: picocli lets it through, and the JVM would print its trace
            if (List.of(args).contains("--debug")) e.printStackTrace(System.err);
            else System.err.println("error: " + message(e));
            return 1;
        }
    }

    /**
     * A usage error (unknown option, missing or malformed value): one line saying what is wrong,
     * picocli's "did you mean" suggestions for a misspelt option or command, and the command
     * whose --help explains it; not the whole usage block.
     */
    static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        var err = cmd.getErr();
        err.println("error: " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The one line a failure prints: its message, or for a JVM error what to do about it. */
    static String message(Throwable ex) {
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "; the heap limit is " + Math.max(1, Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): ask for less (a smaller batch, sequence or image), or give the JVM more with LIQUID_JAVA_OPTS=-Xmx…";
        }
        if (ex instanceof StackOverflowError) return "stack overflow (deeply nested input?); rerun with --debug for the trace";
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }

    /** Whether --debug was given on the command line at any level (`liquid --debug train …` or `liquid train … --debug`). */
    static boolean debugAnywhere(CommandLine.ParseResult parse) {
        for (CommandLine.ParseResult p = parse; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) return true;
        }
        return false;
    }

    /** Version from the build (filtered resource). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() { return new String[] {"liquid4j " + version()}; }
    }

    static String version() {
        try (var in = LiquidCli.class.getResourceAsStream("/io/liquid4j/version.properties")) {
            if (in == null) return "unknown";
            var p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
