package io.liquid4j.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;

import java.io.File;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * Jlama 0.8.4 side of bench/compare-jlama.sh, doing exactly what {@link DecodeBench} does on the
 * same safetensors: one batched prefill of the prompt (lm_head on the last position only), then
 * NEW greedy single-token steps through Jlama's KV buffer. It mirrors the loop of Jlama's own
 * {@code AbstractModel.generate} (batchForward, then forward + sample at temperature 0) minus
 * tokenizer work, and uses every core, as liquid4j does.
 *
 * <p>Usage: {@code DecodeBenchJlama MODEL_DIR [PROMPT=128] [NEW=64] [WARMUP=2] [RUNS=5]}
 */
public final class DecodeBenchJlama {
    private DecodeBenchJlama() {}

    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        int promptLen = arg(args, 1, 128), newTokens = arg(args, 2, 64), warmup = arg(args, 3, 2), runs = arg(args, 4, 5);
        PhysicalCoreExecutor.overrideThreadCount(Runtime.getRuntime().availableProcessors());
        long t0 = System.nanoTime();
        // working memory F32 like liquid4j's activations; the quantization dtype only matters for quantized weights
        AbstractModel model = ModelSupport.loadModel(dir, DType.F32, DType.F32);
        String dtype = dir.getName().toUpperCase();
        System.err.printf("jlama: loaded %s in %.1f s%n", dir, (System.nanoTime() - t0) / 1e9);
        int vocab = model.getConfig().vocabularySize;
        int[] prompt = DecodeBenchResult.prompt(promptLen, vocab);
        double[] prefill = new double[runs], decode = new double[runs];
        int[] first = null;
        try (KvBufferCache caches = new KvBufferCache(model)) {
            for (int r = -warmup; r < runs; r++) {
                double[] t = new double[2];
                int[] tokens = run(model, caches.getKvBuffer(UUID.randomUUID()), prompt, newTokens, vocab, t);
                if (r >= 0) {
                    prefill[r] = t[0];
                    decode[r] = t[1];
                }
                if (first == null) first = Arrays.copyOf(tokens, Math.min(8, tokens.length));
                System.err.printf("jlama %s run %d: prefill %.3f s, decode %.3f s%n", dtype, r, t[0], t[1]);
            }
        }
        System.out.println(new DecodeBenchResult("jlama", dtype, promptLen, newTokens, prefill, decode, first).line());
        System.exit(0); // Jlama's worker pools are not daemon threads
    }

    @SuppressWarnings("rawtypes")   // Jlama's AbstractTensor is generic and its model API returns it raw
    private static int[] run(AbstractModel model, KvBufferCache.KvBuffer kv, int[] prompt, int newTokens, int vocab, double[] seconds) {
        int[] out = new int[newTokens];
        AbstractTensor logits = model.makeDenseTensor(vocab);
        long start = System.nanoTime();
        AbstractTensor hidden = model.batchForward(prompt, 0, kv);
        AbstractTensor last = hidden.slice(hidden.shape().first() - 1);
        int next = model.sample(last, 0f, 0f, logits);
        hidden.close();
        long prefilled = System.nanoTime();
        out[0] = next;
        for (int i = 1; i < newTokens + 1; i++) {
            AbstractTensor h = model.forward(next, prompt.length + i - 1, kv, Optional.empty());
            int tok = model.sample(h, 0f, 0f, logits);
            h.close();
            if (i < newTokens) out[i] = tok;
            next = tok;
        }
        long done = System.nanoTime();
        logits.close();
        seconds[0] = (prefilled - start) / 1e9;
        seconds[1] = (done - prefilled) / 1e9;
        return out;
    }

    private static int arg(String[] args, int i, int def) {
        return args.length > i ? Integer.parseInt(args[i]) : def;
    }
}
