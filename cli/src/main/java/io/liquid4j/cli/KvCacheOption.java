package io.liquid4j.cli;

import io.liquid4j.tensor.DType;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The {@code --kv-cache f32|bf16} option of the generating commands (a picocli mixin): the dtype
 * the KV cache keeps every layer's keys and values in. F32 (the default) decodes exactly as a
 * forward over the whole sequence would; BF16 halves the cache's memory and the bytes each decode
 * step reads from it, which is what a long decode of many rows (CFG images: two rows per image)
 * is bound by, at the cost of rounding keys and values to bf16 (greedy outputs may then differ
 * from F32's).
 */
public final class KvCacheOption {
    @Option(names = "--kv-cache", paramLabel = "TYPE", defaultValue = "f32",
            description = "KV cache dtype: f32 (exact, default) or bf16 (half the memory and the bytes a decode step reads; keys and values rounded to bf16).")
    String spec = "f32";

    /** The chosen cache dtype. */
    DType dtype() {
        return switch (spec.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--kv-cache: '" + spec + "' is not one of f32, bf16");
        };
    }
}
