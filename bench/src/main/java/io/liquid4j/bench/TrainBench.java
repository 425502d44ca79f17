package io.liquid4j.bench;

import io.liquid4j.nn.Parameter;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.optim.AdamW;
import io.liquid4j.nn.optim.GradClip;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Json;

/**
 * Training throughput of a Llama-style model (tied embeddings, MHA, SwiGLU, RMSNorm, RoPE) on
 * random token ids, for bench/train-bench.sh; bench/train_torch_bench.py is the PyTorch peer
 * (same architecture, same batches from the same LCG, same AdamW and clipping).
 *
 * <pre>java ... io.liquid4j.bench.TrainBench VOCAB HIDDEN LAYERS HEADS INTERMEDIATE SEQ BATCH WARMUP STEPS</pre>
 *
 * Each step: zeroGrad, m.nextTokenLoss(ids [B, SEQ]) (position t predicts t + 1), backward,
 * clipGradNorm(1.0), AdamW(lr 1e-3, β 0.9/0.999, eps 1e-8, wd 0), all in one TensorScope.
 * Tokens per step are counted as B·SEQ (the ids fed in), the same on both sides. Prints the
 * parameter count, every step's time and loss, the summary line ("java tokens/s ...") and a
 * 1024³ F32 Tensor.matmul GFLOP/s measured in this same process.
 */
public final class TrainBench {
    /** 64-bit LCG (Knuth MMIX constants); the token is (x >>> 33) % vocab. Same in train_torch_bench.py. */
    static long[] lcgIds(long seed, int count, int vocab) {
        long x = seed;
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            ids[i] = (x >>> 33) % vocab;
        }
        return ids;
    }

    public static void main(String[] args) {
        int vocab = Integer.parseInt(args[0]), hidden = Integer.parseInt(args[1]), layers = Integer.parseInt(args[2]);
        int heads = Integer.parseInt(args[3]), inter = Integer.parseInt(args[4]), seq = Integer.parseInt(args[5]);
        int batch = Integer.parseInt(args[6]), warmup = Integer.parseInt(args[7]), steps = Integer.parseInt(args[8]);
        ModelConfig c = ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": %d, "hidden_size": %d, "intermediate_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "max_position_embeddings": %d, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                 "tie_word_embeddings": true}""".formatted(vocab, hidden, inter, layers, heads, heads, Math.max(seq, 512))),
                "train bench config");
        CausalLM m = new CausalLM(c, Init.random(new Generator(1)));
        long params = 0;
        for (Parameter p : m.trainableParameters()) params += p.numel();
        int total = warmup + steps;
        long[] all = lcgIds(12345, total * batch * seq, vocab);
        System.out.printf("java params %d (vocab %d hidden %d layers %d heads %d intermediate %d, tied), seq %d batch %d, %d threads, vector species %s%n",
                params, vocab, hidden, layers, heads, inter, seq, batch, Runtime.getRuntime().availableProcessors(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        double timed = 0, fwd = 0, bwd = 0, opts = 0;
        double[] times = new double[steps];
        try (AdamW opt = new AdamW(m.trainableParameters(), 1e-3, 0.9, 0.999, 1e-8, 0.0)) {
            for (int step = 0; step < total; step++) {
                long[] ids = new long[batch * seq];
                System.arraycopy(all, step * batch * seq, ids, 0, ids.length);
                long t0 = System.nanoTime();
                double loss;
                long t1, t2;
                try (var _ = TensorScope.open()) {
                    opt.zeroGrad();
                    Tensor l = m.nextTokenLoss(Tensor.fromArray(ids, batch, seq));
                    loss = l.item();
                    t1 = System.nanoTime();
                    l.backward();
                    t2 = System.nanoTime();
                    GradClip.clipGradNorm(m.trainableParameters(), 1.0);
                    opt.step();
                }
                long t3 = System.nanoTime();
                double dt = (t3 - t0) / 1e9;
                if (step >= warmup) {
                    timed += dt;
                    times[step - warmup] = dt;
                    fwd += (t1 - t0) / 1e9;
                    bwd += (t2 - t1) / 1e9;
                    opts += (t3 - t2) / 1e9;
                }
                System.out.printf("java step %d%s: %.3f s (forward+loss %.3f, backward %.3f, clip+AdamW %.3f) loss %.4f%n",
                        step, step < warmup ? " (warm-up)" : "", dt, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, loss);
            }
        }
        double tps = (double) steps * batch * seq / timed;
        java.util.Arrays.sort(times);
        double median = steps % 2 == 1 ? times[steps / 2] : (times[steps / 2 - 1] + times[steps / 2]) / 2;
        double mtps = (double) batch * seq / median;
        System.out.printf("java timed steps: forward+loss %.0f%%, backward %.0f%%, clip+AdamW %.0f%%%n",
                100 * fwd / timed, 100 * bwd / timed, 100 * opts / timed);
        System.out.printf("java tokens/s %.1f median-step tokens/s %.1f params %d train GFLOP/s %.2f (6*params*median tokens/s), %d timed steps %.2f s, median %.3f s, best %.3f s%n",
                tps, mtps, params, 6.0 * params * mtps / 1e9, steps, timed, median, times[0]);
        // SGEMM reference in the same process
        Generator g = new Generator(7);
        Tensor a = Tensor.randn(g, 1024, 1024), b = Tensor.randn(g, 1024, 1024);
        for (int i = 0; i < 5; i++) try (var _ = TensorScope.open()) { a.matmul(b); }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            long t0 = System.nanoTime();
            int reps = 10;
            for (int i = 0; i < reps; i++) try (var _ = TensorScope.open()) { a.matmul(b); }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / reps);
        }
        System.out.printf("java sgemm1024 GFLOP/s %.1f (best of 5 x 10, %.2f ms each)%n", 2.0 * 1024 * 1024 * 1024 / best / 1e9, best * 1e3);
    }
}
