package io.liquid4j.cli;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The {@code --kv-cache auto|f32|bf16} option of the generating commands (a picocli mixin): the
 * dtype the KV cache keeps every layer's keys and values in. auto (the default) is the dtype that
 * loses nothing ({@link CausalLM#cacheDType()}): BF16 for a model whose attention runs in BF16
 * (BF16 weights: its keys and values are bf16 numbers already), F32 otherwise — so a generation
 * decodes exactly as a forward over the whole sequence would. bf16 on an F32, F16 or quantized
 * model halves the cache's memory and the bytes each decode step reads from it, which is what a
 * long decode of many rows (CFG images: two rows per image) is bound by, at the cost of rounding
 * keys and values to bf16 (greedy outputs may then differ from F32's).
 */
public final class KvCacheOption {
    @Option(names = "--kv-cache", paramLabel = "TYPE", defaultValue = "auto",
            description = "KV cache dtype: auto (default: bf16 for a BF16 model, whose keys and values are bf16 already; f32 otherwise — exact either way), "
                    + "f32, or bf16 (half the memory and the bytes a decode step reads; rounds an F32/F16 model's keys and values).")
    String spec = "auto";

    /** The chosen cache dtype for this model. */
    DType dtype(CausalLM model) {
        DType chosen = chosen();
        return chosen != null ? chosen : model.cacheDType();
    }

    /** The largest dtype the cache can take (for the memory check before the model is loaded): F32 unless bf16 was asked for. */
    DType bound() {
        DType chosen = chosen();
        return chosen != null ? chosen : DType.F32;
    }

    /** The dtype asked for, or null for auto. */
    private DType chosen() {
        return switch (spec.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--kv-cache: '" + spec + "' is not one of auto, f32, bf16");
        };
    }
}
