package io.liquid4j.convert;

import io.liquid4j.tensor.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** `convert-weights inspect PATH`: the tensors of a checkpoint with dtypes, shapes and totals. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List tensors, dtypes, shapes and the parameter count of a safetensors file, a sharded"
                + " checkpoint, a model directory or a llama2.c .bin.")
final class InspectCommand implements Runnable {
    @Parameters(paramLabel = "PATH", description = "A .safetensors file, a *.safetensors.index.json, a model directory or a llama2.c .bin.")
    Path path;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of a table.")
    boolean json;

    @Option(names = "--summary", description = "Print only the totals, not every tensor.")
    boolean summary;

    @Override public void run() {
        CheckpointInventory inv = CheckpointInventory.of(path);
        if (json) System.out.println(Json.write(toJson(inv)));
        else printTable(inv, !summary, System.out);
    }

    static void printTable(CheckpointInventory inv, boolean listTensors, PrintStream out) {
        out.println(inv.source() + ": " + inv.format());
        if (listTensors) {
            int nameWidth = inv.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4);
            boolean sharded = inv.tensors().stream().map(CheckpointInventory.Item::file).distinct().count() > 1;
            for (var t : inv.tensors()) {
                out.printf("  %-" + nameWidth + "s  %-5s %-20s %,15d%s%n", t.name(), t.dtype(), Arrays.toString(t.shape()),
                        t.numel(), sharded ? "  " + t.file() : "");
            }
        }
        out.printf("%d tensors, %,d parameters (%s), %s%n", inv.tensors().size(), inv.parameterCount(),
                humanCount(inv.parameterCount()), humanBytes(inv.byteCount()));
        inv.parametersByDtype().forEach((d, n) -> out.printf("  %-5s %,d parameters%n", d, n));
    }

    static Map<String, Object> toJson(CheckpointInventory inv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", inv.source().toString());
        m.put("format", inv.format());
        m.put("parameters", inv.parameterCount());
        m.put("bytes", inv.byteCount());
        m.put("parameters_by_dtype", inv.parametersByDtype());
        List<Object> tensors = new ArrayList<>();
        for (var t : inv.tensors()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", t.name());
            e.put("dtype", t.dtype());
            e.put("shape", t.shape());
            e.put("file", t.file());
            tensors.add(e);
        }
        m.put("tensors", tensors);
        return m;
    }

    static String humanCount(long n) {
        if (n >= 1_000_000_000L) return String.format("%.2fB", n / 1e9);
        if (n >= 1_000_000L) return String.format("%.1fM", n / 1e6);
        if (n >= 1_000L) return String.format("%.1fK", n / 1e3);
        return Long.toString(n);
    }

    static String humanBytes(long b) {
        if (b >= 1L << 30) return String.format("%.2f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format("%.1f MiB", b / (double) (1L << 20));
        return b + " bytes";
    }
}
