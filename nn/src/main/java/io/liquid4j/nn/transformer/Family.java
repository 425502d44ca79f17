package io.liquid4j.nn.transformer;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The decoder families liquid4j implements (spec/models.md), by HF `model_type`. */
public enum Family {
    LLAMA("llama", "LlamaForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    GEMMA("gemma", "GemmaForCausalLM"),
    GEMMA2("gemma2", "Gemma2ForCausalLM");

    private final String modelType;
    private final String architecture;

    Family(String modelType, String architecture) {
        this.modelType = modelType;
        this.architecture = architecture;
    }

    public String modelType() { return modelType; }

    public String architecture() { return architecture; }

    /** Gemma 1 and 2 share the (1 + w) norms, the embedding normalizer and tanh-GELU. */
    public boolean isGemma() { return this == GEMMA || this == GEMMA2; }

    public static Family ofModelType(String modelType) {
        for (Family f : values()) if (f.modelType.equals(modelType)) return f;
        return null;
    }

    public static Family ofArchitecture(String architecture) {
        for (Family f : values()) if (f.architecture.equals(architecture)) return f;
        return null;
    }

    static String supportedList() {
        return Arrays.stream(values()).map(Family::modelType).collect(Collectors.joining(", "));
    }
}
