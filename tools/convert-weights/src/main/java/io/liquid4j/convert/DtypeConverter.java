package io.liquid4j.convert;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.SafetensorsFile;
import io.liquid4j.tensor.io.ShardedCheckpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.liquid4j.convert.StreamingSafetensorsWriter.PlannedTensor;

/**
 * Rewrites the floating tensors of a safetensors checkpoint (a file, or a model directory,
 * sharded or not) in another dtype. F32/BF16/F16 tensors become the target dtype (rounded to
 * nearest even; a finite value beyond F16's ±65504 is refused rather than made infinite); integer
 * tensors are copied unchanged. For a directory the shard
 * layout is kept, the index's total_size and config.json's torch_dtype are updated, and the
 * other top-level files (tokenizer, generation config) are copied.
 */
public final class DtypeConverter {
    /** Elements converted per read: bounds memory to a few MiB whatever the tensor size. */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private DtypeConverter() {}

    /** Parses the --to value ("bf16", "f16", "f32", any case). */
    public static DType parseTarget(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "fp16", "float16", "half" -> DType.F16;
            case "f32", "fp32", "float32" -> DType.F32;
            default -> throw new ConversionException("unknown dtype '" + name + "' for --to: use bf16, f16 or f32");
        };
    }

    /** Converts {@code in} to {@code out}; returns the files written. */
    public static List<Path> convert(Path in, Path out, DType target, PrintStream progress) {
        if (!Files.exists(in)) throw new ConversionException(in, "no such file or directory");
        if (Files.isDirectory(in)) return convertDirectory(in, out, target, progress);
        Path file = Files.isDirectory(out) ? out.resolve(in.getFileName()) : out;
        try (SafetensorsFile f = SafetensorsFile.open(in)) {
            convertFile(f, file, target, progress);
        }
        return List.of(file);
    }

    private static List<Path> convertDirectory(Path in, Path out, DType target, PrintStream progress) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ConversionException(out, "is a file, but the input " + in + " is a model directory: give an output directory");
        }
        List<Path> written = new ArrayList<>();
        long totalSize = 0;
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(in)) {
            for (SafetensorsFile shard : ckpt.shards()) {
                Path dest = out.resolve(shard.path().getFileName());
                totalSize += convertFile(shard, dest, target, progress);
                written.add(dest);
            }
            long total = totalSize;
            copyCompanions(in, out, ckpt, index -> rewriteIndex(index, total), config -> rewriteConfig(config, target), written);
        } catch (IOException e) {
            throw new ConversionException(in, "cannot read the model directory: " + e.getMessage(), e);
        }
        return written;
    }

    /** Rewrites one file of a model directory into the bytes of its converted counterpart. */
    interface Rewrite {
        byte[] apply(Path file) throws IOException;
    }

    /**
     * Writes the files of model directory in that are not the checkpoint's shards into out: the
     * shard index through {@code index}, config.json through {@code config}, stray .safetensors
     * files left out, everything else copied; appends what it wrote to {@code written}.
     */
    static void copyCompanions(Path in, Path out, ShardedCheckpoint ckpt, Rewrite index, Rewrite config, List<Path> written) throws IOException {
        Path opened = ckpt.path();
        List<Path> shardFiles = ckpt.shards().stream().map(s -> s.path().toAbsolutePath().normalize()).toList();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(in)) {
            for (Path p : ds) {
                if (!Files.isRegularFile(p) || shardFiles.contains(p.toAbsolutePath().normalize())) continue;
                String name = p.getFileName().toString();
                Path dest = out.resolve(name);
                if (p.equals(opened) && name.endsWith(".index.json")) {
                    AtomicFiles.write(dest, index.apply(p));
                } else if (name.equals("config.json")) {
                    AtomicFiles.write(dest, config.apply(p));
                } else if (name.endsWith(".safetensors")) {
                    continue; // a stray shard the checkpoint does not use
                } else {
                    AtomicFiles.copy(p, dest);
                }
                written.add(dest);
            }
        }
    }

    /** Converts one file; returns the size of its data buffer (what an index's total_size sums). */
    private static long convertFile(SafetensorsFile src, Path dest, DType target, PrintStream progress) {
        if (Files.exists(dest) && sameFile(src.path(), dest)) {
            throw new ConversionException(dest, "is the input file; write the converted checkpoint elsewhere");
        }
        List<PlannedTensor> plan = new ArrayList<>();
        for (SafetensorsFile.Entry e : src.entries()) {
            boolean floating = e.dtype() != null && e.dtype().isFloating();
            if (floating && e.dtype() != target) {
                plan.add(new PlannedTensor(e.name(), target.safetensorsName(), e.shape(), converted(src.path(), e, target)));
            } else {
                plan.add(new PlannedTensor(e.name(), e.dtypeName(), e.shape(),
                        StreamingSafetensorsWriter.copyOf(src.path(), e.byteOffset(), e.byteLength())));
            }
        }
        StreamingSafetensorsWriter.write(dest, plan, src.metadata(), progress);
        return plan.stream().mapToLong(PlannedTensor::byteLength).sum();
    }

    /** Streams one tensor decoded from its stored dtype and encoded in {@code target}, chunk by chunk. */
    private static StreamingSafetensorsWriter.Payload converted(Path file, SafetensorsFile.Entry e, DType target) {
        DType from = e.dtype();
        return out -> {
            int inSize = from.byteSize(), outSize = target.byteSize();
            ByteBuffer inBuf = ByteBuffer.allocate(CHUNK_ELEMENTS * inSize).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer outBuf = ByteBuffer.allocate(CHUNK_ELEMENTS * outSize).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long n = e.numel();
                for (long done = 0; done < n; ) {
                    int count = (int) Math.min(CHUNK_ELEMENTS, n - done);
                    inBuf.clear().limit(count * inSize);
                    long pos = e.byteOffset() + done * inSize;
                    while (inBuf.hasRemaining()) {
                        if (ch.read(inBuf, pos + inBuf.position()) < 0) throw new IOException(file + " ended inside tensor " + e.name());
                    }
                    inBuf.flip();
                    outBuf.clear();
                    for (int i = 0; i < count; i++) {
                        float v = switch (from) {
                            case F32 -> inBuf.getFloat();
                            case BF16 -> DType.bf16ToFloat(inBuf.getShort());
                            case F16 -> DType.f16ToFloat(inBuf.getShort());
                            default -> throw new IllegalStateException("not a floating dtype: " + from);
                        };
                        switch (target) {
                            case F32 -> outBuf.putFloat(v);
                            case BF16 -> outBuf.putShort(DType.floatToBf16(v));
                            case F16 -> {
                                short h = DType.floatToF16(v);
                                if (Float.isFinite(v) && Float.isInfinite(DType.f16ToFloat(h))) {
                                    throw new ConversionException(file, "tensor " + e.name() + " holds " + v + " at element " + (done + i)
                                            + ", beyond F16's range (±65504): it would become infinite; convert to bf16 instead");
                                }
                                outBuf.putShort(h);
                            }
                            default -> throw new IllegalStateException("not a floating dtype: " + target);
                        }
                    }
                    StreamingSafetensorsWriter.writeFully(out, outBuf.flip());
                    done += count;
                }
            }
        };
    }

    @SuppressWarnings("unchecked")
    static byte[] rewriteIndex(Path index, long totalSize) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>((Map<String, Object>) Json.parseFile(index));
        Map<String, Object> meta = json.get("metadata") instanceof Map<?, ?> m
                ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
        meta.put("total_size", totalSize);
        json.put("metadata", meta);
        return Json.write(json).getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static byte[] rewriteConfig(Path config, DType target) throws IOException {
        Object parsed = Json.parseFile(config);
        if (!(parsed instanceof Map)) return Files.readAllBytes(config);
        Map<String, Object> json = new LinkedHashMap<>((Map<String, Object>) parsed);
        String torchName = switch (target) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        // transformers v4 writes torch_dtype, v5 writes dtype; update whichever is there
        if (json.containsKey("dtype")) json.put("dtype", torchName);
        if (json.containsKey("torch_dtype") || !json.containsKey("dtype")) json.put("torch_dtype", torchName);
        return Json.write(json).getBytes(StandardCharsets.UTF_8);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
