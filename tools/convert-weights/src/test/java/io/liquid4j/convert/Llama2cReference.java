package io.liquid4j.convert;

import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An independent reference of llama2.c's forward pass (run.c's {@code forward}), in double
 * precision on plain arrays. It runs either on the original .bin weights with run.c's
 * interleaved-pair RoPE, or on the converted HF tensors with rotate_half RoPE, so the test can
 * show that the q/k permutation turns one into the other.
 */
final class Llama2cReference {

    enum Rope {
        /** run.c: pairs (2i, 2i+1) of each head rotate with frequency i. */
        INTERLEAVED,
        /** HF rotate_half: pairs (i, i + hs/2) rotate with frequency i. */
        HALF
    }

    /** Weights as row-major float arrays; per-layer arrays indexed [layer][row * cols + col]. */
    record Weights(Llama2cHeader h, float[] embedding, float[][] rmsAtt, float[][] wq, float[][] wk, float[][] wv,
                   float[][] wo, float[][] rmsFfn, float[][] w1, float[][] w2, float[][] w3, float[] rmsFinal, float[] classifier) {}

    private final Weights w;
    private final Rope rope;
    private final double[][] keyCache, valueCache; // [layer][pos * kvDim + j]

    Llama2cReference(Weights w, Rope rope) {
        this.w = w;
        this.rope = rope;
        Llama2cHeader h = w.h();
        keyCache = new double[h.nLayers()][h.seqLen() * h.kvDim()];
        valueCache = new double[h.nLayers()][h.seqLen() * h.kvDim()];
    }

    /** Logits for {@code token} at position {@code pos}; earlier positions must have run already. */
    double[] forward(int token, int pos) {
        Llama2cHeader h = w.h();
        int dim = h.dim(), hs = h.headSize(), kvDim = h.kvDim(), kvMul = h.nHeads() / h.nKvHeads();
        double[] x = new double[dim];
        for (int i = 0; i < dim; i++) x[i] = w.embedding()[token * dim + i];
        for (int l = 0; l < h.nLayers(); l++) {
            double[] xb = rmsnorm(x, w.rmsAtt()[l]);
            double[] q = matvec(w.wq()[l], xb, dim, dim);
            double[] k = matvec(w.wk()[l], xb, kvDim, dim);
            double[] v = matvec(w.wv()[l], xb, kvDim, dim);
            rotate(q, pos, hs);
            rotate(k, pos, hs);
            System.arraycopy(k, 0, keyCache[l], pos * kvDim, kvDim);
            System.arraycopy(v, 0, valueCache[l], pos * kvDim, kvDim);
            double[] att = new double[dim];
            for (int head = 0; head < h.nHeads(); head++) {
                int kvOff = (head / kvMul) * hs;
                double[] scores = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double s = 0;
                    for (int i = 0; i < hs; i++) s += q[head * hs + i] * keyCache[l][t * kvDim + kvOff + i];
                    scores[t] = s / Math.sqrt(hs);
                    max = Math.max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t <= pos; t++) sum += scores[t] = Math.exp(scores[t] - max);
                for (int t = 0; t <= pos; t++) {
                    for (int i = 0; i < hs; i++) att[head * hs + i] += scores[t] / sum * valueCache[l][t * kvDim + kvOff + i];
                }
            }
            double[] o = matvec(w.wo()[l], att, dim, dim);
            for (int i = 0; i < dim; i++) x[i] += o[i];
            xb = rmsnorm(x, w.rmsFfn()[l]);
            double[] gate = matvec(w.w1()[l], xb, h.hiddenDim(), dim);
            double[] up = matvec(w.w3()[l], xb, h.hiddenDim(), dim);
            for (int i = 0; i < gate.length; i++) gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            double[] down = matvec(w.w2()[l], gate, dim, h.hiddenDim());
            for (int i = 0; i < dim; i++) x[i] += down[i];
        }
        return matvec(w.classifier(), rmsnorm(x, w.rmsFinal()), h.vocabSize(), dim);
    }

    /** run.c's generate loop with greedy sampling: feeds the prompt, then {@code steps} argmax tokens. */
    static int[] greedy(Weights w, Rope rope, int[] prompt, int steps, List<double[]> logitsOut) {
        Llama2cReference ref = new Llama2cReference(w, rope);
        int[] out = new int[prompt.length + steps];
        System.arraycopy(prompt, 0, out, 0, prompt.length);
        for (int pos = 0; pos < out.length - 1; pos++) {
            double[] logits = ref.forward(out[pos], pos);
            if (logitsOut != null) logitsOut.add(logits);
            if (pos + 1 >= prompt.length) out[pos + 1] = argmax(logits);
        }
        return out;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private void rotate(double[] vec, int pos, int hs) {
        for (int base = 0; base < vec.length; base += hs) {
            for (int i = 0; i < hs / 2; i++) {
                double freq = 1.0 / Math.pow(10000.0, 2.0 * i / hs);
                double c = Math.cos(pos * freq), s = Math.sin(pos * freq);
                int a = rope == Rope.INTERLEAVED ? base + 2 * i : base + i;
                int b = rope == Rope.INTERLEAVED ? base + 2 * i + 1 : base + i + hs / 2;
                double v0 = vec[a], v1 = vec[b];
                vec[a] = v0 * c - v1 * s;
                vec[b] = v0 * s + v1 * c;
            }
        }
    }

    private static double[] rmsnorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + 1e-5);
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = weight[i] * (scale * x[i]);
        return o;
    }

    private static double[] matvec(float[] m, double[] x, int rows, int cols) {
        double[] o = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += m[r * cols + c] * x[c];
            o[r] = s;
        }
        return o;
    }

    // ---- weight loading --------------------------------------------------------------------

    /** Reads a llama2.c .bin exactly as run.c's memory_map_weights does. */
    static Weights fromBin(Path bin) throws IOException {
        Llama2cHeader h = Llama2cHeader.read(bin);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(Llama2cHeader.HEADER_BYTES);
        int dim = h.dim(), hidden = h.hiddenDim(), kvDim = h.kvDim(), n = h.nLayers();
        float[] emb = take(b, h.vocabSize() * dim);
        float[][] rmsAtt = takeLayers(b, n, dim), wq = takeLayers(b, n, dim * dim), wk = takeLayers(b, n, kvDim * dim),
                wv = takeLayers(b, n, kvDim * dim), wo = takeLayers(b, n, dim * dim), rmsFfn = takeLayers(b, n, dim),
                w1 = takeLayers(b, n, hidden * dim), w2 = takeLayers(b, n, dim * hidden), w3 = takeLayers(b, n, hidden * dim);
        float[] rmsFinal = take(b, dim);
        take(b, h.seqLen() * h.headSize()); // freq_cis_real and freq_cis_imag, unused
        float[] wcls = h.sharedClassifier() ? emb : take(b, h.vocabSize() * dim);
        return new Weights(h, emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, wcls);
    }

    /** Reads a converted HF directory's tensors (by HF name) into the same structure. */
    static Weights fromHf(Path dir, Llama2cHeader h) {
        Map<String, Tensor> t = Checkpoint.loadAll(dir.resolve(Llama2cConverter.WEIGHTS_FILE));
        try {
            int n = h.nLayers();
            float[][][] per = new float[9][n][];
            String[] names = {"input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "post_attention_layernorm", "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj"};
            for (int k = 0; k < names.length; k++) {
                for (int l = 0; l < n; l++) per[k][l] = t.get("model.layers." + l + "." + names[k] + ".weight").toFloatArray();
            }
            float[] emb = t.get("model.embed_tokens.weight").toFloatArray();
            float[] cls = h.sharedClassifier() ? emb : t.get("lm_head.weight").toFloatArray();
            return new Weights(h, emb, per[0], per[1], per[2], per[3], per[4], per[5], per[6], per[7], per[8],
                    t.get("model.norm.weight").toFloatArray(), cls);
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    private static float[] take(ByteBuffer b, int n) {
        float[] a = new float[n];
        b.asFloatBuffer().get(a);
        b.position(b.position() + n * Float.BYTES);
        return a;
    }

    private static float[][] takeLayers(ByteBuffer b, int layers, int n) {
        float[][] a = new float[layers][];
        for (int l = 0; l < layers; l++) a[l] = take(b, n);
        return a;
    }
}
