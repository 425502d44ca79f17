package io.liquid4j.cli;

import io.liquid4j.generate.SamplingParams;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Checks of options and sizes that commands run before they load a model or allocate: each
 * failure is one IllegalArgumentException naming the option or file, what was asked and what
 * is allowed or available.
 */
final class CliChecks {
    private CliChecks() {}

    /** Sampling settings with the option names in the error (checked before the model is loaded). */
    static SamplingParams sampling(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("--temperature " + temperature + ": must be a finite number ≥ 0 (0 = greedy)");
        }
        if (topK < 0) throw new IllegalArgumentException("--top-k " + topK + ": must be ≥ 0 (0 = all tokens)");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p " + topP + ": must be in (0, 1] (1 = off)");
        return new SamplingParams(temperature, topK, topP, seed);
    }

    /** --cfg: a finite guidance scale ≥ 0 (1 = no guidance). */
    static void cfg(double cfg) {
        if (!(cfg >= 0) || Double.isInfinite(cfg)) throw new IllegalArgumentException("--cfg " + cfg + ": must be a finite number ≥ 0 (1 = no guidance)");
    }

    /** An input file that must exist and be readable. */
    static void inputFile(Path file, String option) {
        if (file == null) return;
        if (!Files.exists(file)) throw new IllegalArgumentException(option + " " + file + ": no such file");
        if (Files.isDirectory(file)) throw new IllegalArgumentException(option + " " + file + ": is a directory, not a file");
        if (!Files.isReadable(file)) throw new IllegalArgumentException(option + " " + file + ": permission denied (not readable)");
    }

    /** An output file about to be written: not a directory, in an existing writable directory. */
    static void outputFile(Path file, String option) {
        if (file == null) return;
        if (Files.isDirectory(file)) throw new IllegalArgumentException(option + " " + file + ": is a directory; give a file name");
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(option + " " + file + ": directory " + parent + " does not exist");
        }
        if (!Files.isWritable(parent)) throw new IllegalArgumentException(option + " " + file + ": permission denied (cannot write in " + parent + ")");
        if (Files.exists(file) && !Files.isWritable(file)) throw new IllegalArgumentException(option + " " + file + ": permission denied (file is read-only)");
    }

    /** a × b × ... as a long, or an error naming what overflowed. */
    static long product(String what, long... factors) {
        long r = 1;
        for (long f : factors) {
            try {
                r = Math.multiplyExact(r, f);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(what + " is too large (overflows 64 bits)");
            }
        }
        return r;
    }

    /** Fails when bytes exceed what this machine has available, saying what needed it. */
    static void fitsInMemory(String what, long bytes) {
        long avail = availableMemory();
        if (bytes > avail) {
            throw new IllegalArgumentException(what + " needs " + human(bytes) + ", but this machine has " + human(avail) + " of memory available");
        }
    }

    /**
     * Memory a new allocation can get: MemAvailable of /proc/meminfo (free + reclaimable page
     * cache) where Linux reports it, else the free physical memory the JVM sees.
     */
    static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return bytes + " bytes";
    }

    /**
     * How many new tokens to generate: an explicit --max-new-tokens that does not fit the
     * model's context after the prompt is an error; the default is cut to what fits, with a note.
     *
     * @param asked    the option's value, or null when not given
     * @param fallback the default
     */
    static int newTokens(Integer asked, int fallback, int prompt, int context) {
        if (asked != null && asked < 0) throw new IllegalArgumentException("--max-new-tokens " + asked + ": must be ≥ 0");
        if (context > 0 && prompt >= context) {
            throw new IllegalArgumentException("the prompt (" + prompt + " tokens) fills the model's context of " + context + " positions");
        }
        int want = asked != null ? asked : fallback;
        if (context <= 0 || (long) prompt + want <= context) return want;
        int room = context - prompt;
        if (asked != null) {
            throw new IllegalArgumentException("--max-new-tokens " + asked + ": the model's context is " + context + " positions (max_position_embeddings) and the prompt takes "
                    + prompt + ", so at most " + room + " new tokens fit");
        }
        System.err.printf(Locale.ROOT, "note: the model's context of %d positions leaves room for %d new tokens, not %d%n", context, room, want);
        return room;
    }

    /** The KV cache of a generation (every layer's keys and values, in cacheType) must fit in memory; CPU only (device memory is the backend's). */
    static void kvCacheFits(io.liquid4j.nn.transformer.ModelConfig c, int batch, long capacity, io.liquid4j.tensor.DType cacheType, io.liquid4j.tensor.Device dev) {
        if (!dev.isCpu()) return;
        long bytes = product("the KV cache", c.numLayers(), 2, batch, c.numKvHeads(), capacity, c.headDim(), cacheType.byteSize());
        fitsInMemory("the " + cacheType + " KV cache for " + batch + " row" + (batch == 1 ? "" : "s") + " × " + capacity + " positions", bytes);
    }
}
