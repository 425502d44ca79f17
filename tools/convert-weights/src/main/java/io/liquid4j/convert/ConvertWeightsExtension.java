package io.liquid4j.convert;

import io.liquid4j.cli.CliExtension;

/** Registers `convert-weights` with the `liquid` CLI (listed in META-INF/services). */
public final class ConvertWeightsExtension implements CliExtension {
    @Override public Object command() {
        return new ConvertWeightsCommand();
    }
}
