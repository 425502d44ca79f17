package io.liquid4j.convert;

import io.liquid4j.tensor.io.SafetensorsFile;
import io.liquid4j.tensor.io.ShardedCheckpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint holds, read from headers only (nothing is loaded): a safetensors file, a
 * sharded index, a model directory, or a llama2.c .bin (listed under the HF names it converts to).
 */
public record CheckpointInventory(Path source, String format, List<Item> tensors) {

    /** One tensor: name, stored dtype string, shape, and the file that holds it. */
    public record Item(String name, String dtype, long[] shape, String file) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public long bytes() { return numel() * StreamingSafetensorsWriter.bytesPerElement(dtype); }
    }

    public static CheckpointInventory of(Path path) {
        if (!Files.exists(path)) throw new ConversionException(path, "no such file or directory");
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".bin")) return ofLlama2c(path);
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(path)) {
            List<Item> items = new ArrayList<>();
            for (String name : ckpt.names()) {
                SafetensorsFile.Entry e = ckpt.entry(name);
                items.add(new Item(name, e.dtypeName(), e.shape(), ckpt.fileOf(name).path().getFileName().toString()));
            }
            String format = ckpt.shards().size() > 1 ? "safetensors (" + ckpt.shards().size() + " shards)" : "safetensors";
            return new CheckpointInventory(ckpt.path(), format, items);
        }
    }

    private static CheckpointInventory ofLlama2c(Path bin) {
        Llama2cHeader h = Llama2cHeader.read(bin);
        List<Item> items = new ArrayList<>();
        for (var t : Llama2cConverter.plan(bin, h)) {
            items.add(new Item(t.name(), t.dtype(), t.shape(), bin.getFileName().toString()));
        }
        return new CheckpointInventory(bin, "llama2.c v0 (" + h.describe() + "; names as converted)", items);
    }

    public long parameterCount() { return tensors.stream().mapToLong(Item::numel).sum(); }

    public long byteCount() { return tensors.stream().mapToLong(Item::bytes).sum(); }

    /** Parameters per dtype, in order of first appearance. */
    public Map<String, Long> parametersByDtype() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Item t : tensors) m.merge(t.dtype(), t.numel(), Long::sum);
        return m;
    }
}
