package io.liquid4j.bench;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.KVCache;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * liquid4j side of bench/compare-jlama.sh: loads MODEL_DIR with CausalLM in its stored dtype
 * (BF16 stays BF16), then per run prefills a PROMPT-token prompt in one forward pass (logits of
 * the last position only) and decodes NEW tokens greedily through the KV cache, one per step
 * (the model's own {@code newCache}: BF16 for a BF16 model, F32 otherwise, as generation keeps it).
 * Prints a {@link DecodeBenchResult} line; the first runs are warm-up.
 *
 * <p>Usage: {@code DecodeBench MODEL_DIR [PROMPT=128] [NEW=64] [WARMUP=2] [RUNS=5]}
 */
public final class DecodeBench {
    private DecodeBench() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int promptLen = arg(args, 1, 128), newTokens = arg(args, 2, 64), warmup = arg(args, 3, 2), runs = arg(args, 4, 5);
        long t0 = System.nanoTime();
        CausalLM model = CausalLM.fromPretrained(dir, null, Device.CPU);
        String dtype = model.backbone().embedTokens().weight().value().dtype().toString();
        if (model.namedModules().get("model.layers.0.mlp.up_proj") instanceof io.liquid4j.nn.layers.Linear l && l.quantized() != null) {
            dtype = l.quantized().format().name();   // Q8_0 / Q4_0 decoder and head, embedding as stored
        }
        System.err.printf("liquid4j: loaded %s (%s) in %.1f s%n", dir, dtype, (System.nanoTime() - t0) / 1e9);
        int[] prompt = DecodeBenchResult.prompt(promptLen, model.config().vocabSize());
        double[] prefill = new double[runs], decode = new double[runs];
        int[] first = null;
        for (int r = -warmup; r < runs; r++) {
            double[] t = new double[2];
            int[] tokens = run(model, prompt, newTokens, t);
            if (r >= 0) {
                prefill[r] = t[0];
                decode[r] = t[1];
            }
            if (first == null) first = Arrays.copyOf(tokens, Math.min(8, tokens.length));
            System.err.printf("liquid4j %s run %d: prefill %.3f s, decode %.3f s%n", dtype, r, t[0], t[1]);
        }
        System.out.println(new DecodeBenchResult("liquid4j", dtype, promptLen, newTokens, prefill, decode, first).line());
    }

    /** One prefill + greedy decode; seconds[0] = prefill time, seconds[1] = decode time. Returns the new tokens. */
    static int[] run(CausalLM model, int[] prompt, int newTokens, double[] seconds) {
        int[] out = new int[newTokens];
        try (var _ = GradMode.noGrad(); KVCache cache = model.newCache(1, prompt.length + newTokens)) {
            long start = System.nanoTime();
            int next;
            try (var _ = TensorScope.open()) {
                long[] ids = Arrays.stream(prompt).asLongStream().toArray();
                next = argmax(model.forwardLast(Tensor.fromArray(ids, 1, ids.length), null, cache));
            }
            long prefilled = System.nanoTime();
            out[0] = next;
            // the prefill produced token 0; each decode step feeds the last token and produces the next
            for (int i = 1; i < newTokens + 1; i++) {
                try (var _ = TensorScope.open()) {
                    int tok = argmax(model.forwardLast(Tensor.fromArray(new long[] {next}, 1, 1), null, cache));
                    if (i < newTokens) out[i] = tok;
                    next = tok;
                }
            }
            long done = System.nanoTime();
            seconds[0] = (prefilled - start) / 1e9;
            seconds[1] = (done - prefilled) / 1e9;
        }
        return out;
    }

    private static int argmax(Tensor logits) {
        return (int) logits.argmax(1, false).item();
    }

    private static int arg(String[] args, int i, int def) {
        return args.length > i ? Integer.parseInt(args[i]) : def;
    }
}
