package io.liquid4j.cli;

/**
 * A subcommand contributed by a module above liquid-model (e.g. tools/convert-weights), found
 * with ServiceLoader: list the implementing class in
 * {@code META-INF/services/io.liquid4j.cli.CliExtension}. The launcher's classpath holds every
 * module, so `./liquid convert-weights ...` works although liquid-model cannot depend on it.
 */
public interface CliExtension {
    /** A picocli-annotated command object (its @Command name becomes the subcommand name). */
    Object command();
}
