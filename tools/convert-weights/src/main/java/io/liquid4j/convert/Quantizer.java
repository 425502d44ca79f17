package io.liquid4j.convert;

import io.liquid4j.convert.StreamingSafetensorsWriter.PlannedTensor;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.SafetensorsFile;
import io.liquid4j.tensor.io.ShardedCheckpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code liquid convert-weights quantize}: a model directory → the same model with its decoder
 * Linear weights (q/k/v/o and gate/up/down projections) and, unless kept, its LM head in a block
 * format ({@link QuantFormat}). Each quantized {@code P.weight} [out, in] becomes {@code P.qweight}
 * (U8 codes) and {@code P.scales} (F16, one per 32 weights); a tied head gets its own
 * {@code lm_head.qweight} / {@code lm_head.scales} (the embedding stays as it was: decoding reads
 * one row of it per token). config.json gains {@code quantization_config}; every other tensor and
 * file is copied. Streams rows in chunks, so memory is one chunk, not the model.
 */
final class Quantizer {
    private static final Pattern LINEAR = Pattern.compile("(.+\\.(?:q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj))\\.weight");
    private static final String HEAD = "lm_head", EMBED = "model.embed_tokens.weight";
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private Quantizer() {}

    /** Quantizes the model directory in into the (new, empty) directory out; returns the files written. */
    static List<Path> quantize(Path in, Path out, QuantFormat format, boolean head, PrintStream progress) {
        if (!Files.isDirectory(in)) throw new ConversionException(in, "is not a model directory (quantize needs config.json and its safetensors)");
        Map<String, Object> config = config(in);
        if (config.containsKey("quantization_config")) throw new ConversionException(in, "is already quantized (config.json has quantization_config)");
        boolean tied = Boolean.TRUE.equals(config.get("tie_word_embeddings"));
        List<Path> written = new ArrayList<>();
        Map<String, String> renamed = new LinkedHashMap<>();   // new tensor name → the shard that holds it
        int[] counts = new int[1];   // weights quantized
        long total = 0;
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(in)) {
            boolean hasHead = ckpt.contains(HEAD + ".weight");
            for (SafetensorsFile shard : ckpt.shards()) {
                Path dest = out.resolve(shard.path().getFileName());
                List<PlannedTensor> plan = new ArrayList<>();
                for (SafetensorsFile.Entry e : shard.entries()) {
                    String base = base(e.name(), head);
                    boolean tiedHead = head && tied && !hasHead && e.name().equals(EMBED);
                    if ((base != null || tiedHead) && !quantizable(e)) {
                        progress.println("note: " + e.name() + " " + java.util.Arrays.toString(e.shape()) + " stays " + e.dtypeName()
                                + " (" + format.id() + " needs a floating 2-D weight whose rows are a multiple of " + QuantFormat.BLOCK + " long)");
                        base = null;
                        tiedHead = false;
                    }
                    if (base == null) {
                        plan.add(new PlannedTensor(e.name(), e.dtypeName(), e.shape(), StreamingSafetensorsWriter.copyOf(shard.path(), e.byteOffset(), e.byteLength())));
                    } else {
                        addQuantized(plan, shard, e, base, format);
                        renamed.put(base + ".qweight", dest.getFileName().toString());
                        renamed.put(base + ".scales", dest.getFileName().toString());
                        counts[0]++;
                    }
                    if (tiedHead) {
                        addQuantized(plan, shard, e, HEAD, format);
                        renamed.put(HEAD + ".qweight", dest.getFileName().toString());
                        renamed.put(HEAD + ".scales", dest.getFileName().toString());
                        counts[0]++;
                    }
                }
                StreamingSafetensorsWriter.write(dest, plan, shard.metadata(), progress);
                total += plan.stream().mapToLong(PlannedTensor::byteLength).sum();
                written.add(dest);
            }
            long totalSize = total;
            DtypeConverter.copyCompanions(in, out, ckpt, index -> index(index, totalSize, renamed), c -> {
                Map<String, Object> q = new LinkedHashMap<>();
                q.put("quant_method", "liquid4j");
                q.put("format", format.id());
                q.put("block_size", QuantFormat.BLOCK);
                Map<String, Object> json = new LinkedHashMap<>(config);
                json.put("quantization_config", q);
                return Json.write(json).getBytes(StandardCharsets.UTF_8);
            }, written);
        } catch (IOException e) {
            throw new ConversionException(in, "cannot read the model directory: " + e.getMessage(), e);
        }
        if (counts[0] == 0) throw new ConversionException(in, "has no Linear weights to quantize (q/k/v/o_proj, gate/up/down_proj, lm_head)");
        progress.println(format.id() + ": " + counts[0] + " weights quantized, other tensors copied as they were");
        return written;
    }

    /** The layer path of a weight to quantize ("model.layers.0.mlp.up_proj"), or null. */
    static String base(String name, boolean head) {
        var m = LINEAR.matcher(name);
        if (m.matches()) return m.group(1);
        return head && name.equals(HEAD + ".weight") ? HEAD : null;
    }

    private static boolean quantizable(SafetensorsFile.Entry e) {
        long[] s = e.shape();
        return e.dtype() != null && e.dtype().isFloating() && s.length == 2 && s[1] > 0 && s[1] % QuantFormat.BLOCK == 0 && s[1] <= Integer.MAX_VALUE / 8;
    }

    /** Plans base.qweight and base.scales from entry e, each streamed in chunks of whole rows. */
    private static void addQuantized(List<PlannedTensor> plan, SafetensorsFile shard, SafetensorsFile.Entry e, String base, QuantFormat format) {
        long rows = e.shape()[0];
        int k = (int) e.shape()[1];
        plan.add(new PlannedTensor(base + ".qweight", "U8", new long[] {rows, format.rowBytes(k)}, out -> stream(shard, e, format, true, out)));
        plan.add(new PlannedTensor(base + ".scales", "F16", new long[] {rows, k / QuantFormat.BLOCK}, out -> stream(shard, e, format, false, out)));
    }

    private static void stream(SafetensorsFile shard, SafetensorsFile.Entry e, QuantFormat format, boolean codes, FileChannel out) throws IOException {
        long rows = e.shape()[0];
        int k = (int) e.shape()[1];
        int chunk = Math.max(1, CHUNK_ELEMENTS / k);
        DType dt = e.dtype();
        int es = dt.byteSize();
        float[] v = new float[chunk * k];
        ByteBuffer in = ByteBuffer.allocate(chunk * k * es).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(shard.path(), StandardOpenOption.READ)) {
            for (long r0 = 0; r0 < rows; r0 += chunk) {
                int n = (int) Math.min(chunk, rows - r0);
                in.clear().limit(n * k * es);
                long pos = e.byteOffset() + r0 * k * es;
                while (in.hasRemaining()) {
                    if (ch.read(in, pos + in.position()) < 0) throw new ConversionException(shard.path(), "ended inside tensor " + e.name());
                }
                in.flip();
                for (int i = 0; i < n * k; i++) {
                    v[i] = switch (dt) {
                        case F32 -> in.getFloat();
                        case BF16 -> DType.bf16ToFloat(in.getShort());
                        case F16 -> DType.f16ToFloat(in.getShort());
                        default -> throw new IllegalStateException("not a floating dtype: " + dt);
                    };
                }
                byte[] q = new byte[(int) (n * format.rowBytes(k))];
                short[] s = new short[n * (k / QuantFormat.BLOCK)];
                try {
                    QuantizedWeight.quantizeRows(v, n, k, format, q, s);
                } catch (IllegalArgumentException ex) {
                    throw new ConversionException(shard.path(), e.name() + " (rows from " + r0 + "): " + ex.getMessage());
                }
                ByteBuffer b;
                if (codes) {
                    b = ByteBuffer.wrap(q);
                } else {
                    b = ByteBuffer.allocate(2 * s.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (short x : s) b.putShort(x);
                    b.flip();
                }
                StreamingSafetensorsWriter.writeFully(out, b);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> config(Path in) {
        Path p = in.resolve("config.json");
        try {
            if (Json.parseFile(p) instanceof Map<?, ?> m) return new LinkedHashMap<>((Map<String, Object>) m);
            throw new ConversionException(p, "is not a JSON object");
        } catch (IOException e) {
            throw new ConversionException(p, "cannot be read (quantize needs the model's config.json): " + e.getMessage(), e);
        }
    }

    /** The shard index with the quantized layers' new names in place of their .weight entries. */
    @SuppressWarnings("unchecked")
    private static byte[] index(Path index, long totalSize, Map<String, String> renamed) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>((Map<String, Object>) Json.parseFile(index));
        Map<String, Object> map = new LinkedHashMap<>((Map<String, Object>) json.get("weight_map"));
        for (String name : renamed.keySet()) {
            String base = name.substring(0, name.lastIndexOf('.'));
            if (!base.equals(HEAD) || map.containsKey(HEAD + ".weight")) map.remove(base + ".weight");
        }
        map.putAll(renamed);
        json.put("weight_map", map);
        Map<String, Object> meta = json.get("metadata") instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
        meta.put("total_size", totalSize);
        json.put("metadata", meta);
        return Json.write(json).getBytes(StandardCharsets.UTF_8);
    }
}
