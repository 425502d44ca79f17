package io.liquid4j.demo;

import io.liquid4j.cli.CliExtension;

/** Contributes `liquid demo` to the CLI (listed in META-INF/services). */
public final class DemoExtension implements CliExtension {
    @Override public Object command() { return new DemoCommand(); }
}
