package io.liquid4j.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * While installed, what a thread inside {@link #toFile} prints on System.out or System.err goes
 * to that file; every other thread prints to the console as before. The demo runs a stage side by
 * side with another this way: both are ordinary `liquid` commands that print progress bars, and
 * two bars on one terminal line would garble each other.
 */
final class SideConsole implements AutoCloseable {
    /** A body that may throw what a stage throws. */
    interface Body<T> {
        T run() throws IOException;
    }

    private final PrintStream out, err;
    private final ThreadLocal<OutputStream> redirected = new ThreadLocal<>();

    private SideConsole() {
        out = System.out;
        err = System.err;
        System.setOut(new PrintStream(new Router(out), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Router(err), true, StandardCharsets.UTF_8));
    }

    /** Replaces System.out and System.err until {@link #close}. */
    static SideConsole install() { return new SideConsole(); }

    /** Runs body with this thread's console output written to file (created or truncated). */
    <T> T toFile(Path file, Body<T> body) throws IOException {
        try (OutputStream f = Files.newOutputStream(file)) {
            redirected.set(f);
            try {
                return body.run();
            } finally {
                System.out.flush();
                System.err.flush();
                redirected.remove();
            }
        }
    }

    @Override
    public void close() {
        System.out.flush();
        System.err.flush();
        System.setOut(out);
        System.setErr(err);
    }

    /** Sends each write to the calling thread's file, or else to the console stream. */
    private final class Router extends OutputStream {
        private final PrintStream console;

        Router(PrintStream console) { this.console = console; }

        private OutputStream target() {
            OutputStream f = redirected.get();
            return f != null ? f : console;
        }

        @Override public void write(int b) throws IOException { target().write(b); }

        @Override public void write(byte[] b, int off, int len) throws IOException { target().write(b, off, len); }

        @Override public void flush() throws IOException { target().flush(); }
    }
}
