package io.liquid4j.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --no-check} option of the commands that load weights (a picocli mixin): by default
 * every loaded weight must be a floating-point tensor with only finite values
 * ({@code tensor.io.WeightCheck}, run by {@code Module.load}); the option skips that scan.
 */
public final class WeightCheckOption {
    @Option(names = "--no-check", description = "Skip the load-time check of the weights (floating-point dtype, no NaN or infinity).")
    boolean noCheck;

    /** Whether loaders should check the weights. */
    boolean check() { return !noCheck; }
}
