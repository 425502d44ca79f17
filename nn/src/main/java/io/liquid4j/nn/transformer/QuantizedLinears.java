package io.liquid4j.nn.transformer;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.layers.Linear;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The quantized Linear weights of a model directory written by {@code liquid convert-weights
 * quantize}: config.json carries {@code "quantization_config": {"quant_method": "liquid4j",
 * "format": "q8_0" | "q4_0", "block_size": 32}}, and each quantized layer P stores
 * {@code P.qweight} (U8 codes [out, in·bits/8]) and {@code P.scales} (F16 [out, in/32]) instead of
 * {@code P.weight} (format: {@link QuantFormat}). Layers without codes keep their plain weight.
 */
final class QuantizedLinears {
    private QuantizedLinears() {}

    /** The format named by dir/config.json, or null for a plain model. */
    @SuppressWarnings("unchecked")
    static QuantFormat format(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) return null;
        Object json;
        try {
            json = Json.parseFile(config);
        } catch (java.io.IOException | RuntimeException e) {
            return null;   // ConfigParser reports a broken config.json with its own message
        }
        if (!(json instanceof Map<?, ?> m) || !(m.get("quantization_config") instanceof Map<?, ?> q)) return null;
        Object method = q.get("quant_method"), format = q.get("format"), block = q.get("block_size");
        if (!"liquid4j".equals(method)) {
            throw new IllegalArgumentException(config + ": quantization_config.quant_method " + method
                    + " is not supported (liquid4j reads its own q8_0 / q4_0 files: `liquid convert-weights quantize`)");
        }
        if (!(format instanceof String f)) throw new IllegalArgumentException(config + ": quantization_config.format must be \"q8_0\" or \"q4_0\", got " + format);
        if (block != null && !(block instanceof Number n && n.doubleValue() == QuantFormat.BLOCK)) {
            throw new IllegalArgumentException(config + ": quantization_config.block_size must be " + QuantFormat.BLOCK + ", got " + block);
        }
        try {
            return QuantFormat.parse(f);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(config + ": quantization_config: " + e.getMessage());
        }
    }

    /**
     * Gives every Linear of model whose codes the checkpoint holds its quantized weight (on device),
     * and returns the checkpoint names so consumed (for Module.load's "unexpected" check).
     */
    static Set<String> attach(Module model, Path dir, Checkpoint ckpt, Device device) {
        QuantFormat fmt = format(dir);
        Set<String> consumed = new LinkedHashSet<>();
        if (fmt == null) return consumed;
        for (var e : model.namedModules().entrySet()) {
            if (!(e.getValue() instanceof Linear lin) || !ckpt.contains(e.getKey() + ".qweight")) continue;
            String codes = e.getKey() + ".qweight", scales = e.getKey() + ".scales";
            if (!ckpt.contains(scales)) throw new IllegalArgumentException(ckpt.path() + ": " + codes + " has no companion " + scales);
            if (ckpt.dtype(codes) != DType.U8 || ckpt.dtype(scales) != DType.F16) {
                throw new IllegalArgumentException(ckpt.path() + ": " + codes + " must be U8 and " + scales + " F16, got " + ckpt.dtype(codes) + " and " + ckpt.dtype(scales));
            }
            Tensor c = ckpt.tensorCopy(codes, null, device).unscoped(), s = ckpt.tensorCopy(scales, null, device).unscoped();
            QuantizedWeight q;
            try {
                q = new QuantizedWeight(fmt, c, s, lin.outFeatures(), lin.inFeatures());
                float[] sv = s.to(Device.CPU).toFloatArray();
                for (int i = 0; i < sv.length; i++) {
                    if (!Float.isFinite(sv[i])) throw new IllegalArgumentException(scales + ": non-finite scale " + sv[i] + " at index " + i);
                }
            } catch (IllegalArgumentException ex) {
                c.close();
                s.close();
                throw new IllegalArgumentException(ckpt.path() + ": " + e.getKey() + ": " + ex.getMessage());
            }
            lin.quantize(q);
            consumed.add(codes);
            consumed.add(scales);
        }
        if (consumed.isEmpty()) throw new IllegalArgumentException(dir.resolve("config.json") + " says the weights are " + fmt.id() + ", but " + ckpt.path() + " has no *.qweight tensors");
        return consumed;
    }
}
