package io.liquid4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `liquid eval ...`: measurements of a model on data. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a model on data.",
        subcommands = {PerplexityCommand.class, ImageAgreementCommand.class, CommandLine.HelpCommand.class})
final class EvalCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.err); }
}
