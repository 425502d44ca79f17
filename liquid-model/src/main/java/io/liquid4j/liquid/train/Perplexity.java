package io.liquid4j.liquid.train;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Text perplexity exp(mean NLL) of a causal LM over documents, each scored on its own (its first
 * token is given, every later token predicted). A document longer than the window is scored
 * with overlapping windows of {@code seqLen} tokens whose ends move by {@code stride} (HF's
 * sliding-window perplexity): every token after a document's first is predicted exactly once,
 * with at least seqLen − stride tokens of context. Unlike HF's, a stride of seqLen still overlaps
 * the windows by one token, so no window's first token goes unpredicted. Windows run in batches of similar length, right-padded (causal
 * attention keeps the padding out of the real tokens' predictions).
 */
public final class Perplexity {
    private static final int IGNORE = -100;

    /** Summed negative log-likelihood (nats) of {@code tokens} predicted tokens. */
    public record Result(double nll, long tokens, long windows, double seconds) {
        public double perplexity() { return Math.exp(nll / tokens); }

        public double meanNll() { return nll / tokens; }
    }

    /** One window: ids [begin, end) of a document, scoring predictions of positions >= firstScored. */
    private record Window(int[] ids, int scoredFrom) {}

    private Perplexity() {}

    /**
     * @param docs      token ids per document (as the tokenizer frames them, e.g. with BOS)
     * @param seqLen    window length (at most the model's context)
     * @param stride    how far windows move, 1..seqLen
     * @param batchRows windows per forward pass
     * @param progress  called with the number of windows done so far
     */
    public static Result of(CausalLM lm, List<int[]> docs, int seqLen, int stride, int batchRows, IntConsumer progress) {
        if (seqLen < 2) throw new IllegalArgumentException("seq-len must be at least 2, got " + seqLen);
        if (stride < 1 || stride > seqLen) throw new IllegalArgumentException("stride must be in [1, seq-len " + seqLen + "], got " + stride);
        if (batchRows < 1) throw new IllegalArgumentException("batch rows must be positive, got " + batchRows);
        List<Window> windows = windows(docs, seqLen, stride);
        windows.sort(Comparator.comparingInt(w -> w.ids().length));
        long t0 = System.nanoTime();
        double nll = 0;
        long tokens = 0;
        int done = 0;
        try (var _ = GradMode.noGrad()) {
            for (int from = 0; from < windows.size(); from += batchRows) {
                List<Window> batch = windows.subList(from, Math.min(windows.size(), from + batchRows));
                int len = batch.getLast().ids().length - 1;
                long[] ids = new long[batch.size() * len], targets = new long[batch.size() * len];
                java.util.Arrays.fill(targets, IGNORE);
                int counted = 0;
                for (int r = 0; r < batch.size(); r++) {
                    Window w = batch.get(r);
                    for (int t = 0; t < w.ids().length - 1; t++) {
                        ids[r * len + t] = w.ids()[t];
                        if (t + 1 >= w.scoredFrom()) {
                            targets[r * len + t] = w.ids()[t + 1];
                            counted++;
                        }
                    }
                }
                if (counted > 0) {
                    try (var _ = TensorScope.open()) {
                        Tensor in = Tensor.fromArray(ids, batch.size(), len).to(lm.device());
                        Tensor tgt = Tensor.fromArray(targets, batch.size() * len).to(lm.device());
                        nll += lm.loss(in, tgt, null, null, IGNORE, 0).item() * counted;
                    }
                }
                tokens += counted;
                done += batch.size();
                if (progress != null) progress.accept(done);
            }
        }
        if (tokens == 0) throw new IllegalArgumentException("no token to score: every document is shorter than 2 tokens");
        return new Result(nll, tokens, windows.size(), (System.nanoTime() - t0) / 1e9);
    }

    /** How many windows {@link #of} will run for these documents (for a progress bar). */
    public static int windowCount(List<int[]> docs, int seqLen, int stride) {
        return windows(docs, seqLen, stride).size();
    }

    private static List<Window> windows(List<int[]> docs, int seqLen, int stride) {
        // a window predicts the tokens [prevEnd, end) from its own earlier tokens; it must start
        // before prevEnd so the first of them has context: windows move by at most seqLen - 1
        int step = Math.min(stride, seqLen - 1);
        List<Window> out = new ArrayList<>();
        for (int[] doc : docs) {
            if (doc.length < 2) continue;
            int end = Math.min(seqLen, doc.length);
            out.add(new Window(java.util.Arrays.copyOfRange(doc, 0, end), 1));
            while (end < doc.length) {
                int prevEnd = end;
                end = Math.min(prevEnd + step, doc.length);
                int begin = Math.max(0, end - seqLen);
                out.add(new Window(java.util.Arrays.copyOfRange(doc, begin, end), prevEnd - begin));
            }
        }
        return out;
    }
}
