package io.liquid4j.liquid.train;

import io.liquid4j.liquid.TrainingSequence;
import io.liquid4j.liquid.TrainingSequence.Task;
import io.liquid4j.liquid.data.TrainingData;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.EnumMap;
import java.util.Map;

/**
 * Held-out evaluation: per task, the mean next-token cross-entropy over counted tokens and the
 * token accuracy (argmax = target), one sequence at a time without gradients.
 */
public final class Evaluator {
    /** One task's figures. */
    public record Result(double loss, double tokenAccuracy, long tokens) {}

    private Evaluator() {}

    public static Map<Task, Result> evaluate(CausalLM model, TrainingData data) {
        Map<Task, double[]> acc = new EnumMap<>(Task.class);   // {loss sum, correct, tokens}
        try (var _ = GradMode.noGrad()) {
            for (int i = 0; i < data.size(); i++) {
                TrainingSequence s = data.get(i);
                int n = s.length() - 1;
                if (n <= 0) continue;
                long[] ids = new long[n], targets = new long[n];
                int counted = 0;
                for (int t = 0; t < n; t++) {
                    ids[t] = s.inputIds()[t];
                    targets[t] = s.labels()[t + 1];
                    if (targets[t] != TrainingSequence.IGNORE) counted++;
                }
                if (counted == 0) continue;
                try (var _ = TensorScope.open()) {
                    Tensor logits = model.forward(Tensor.fromArray(ids, 1, n).to(model.device())).reshape(n, model.config().vocabSize());
                    Tensor tgt = Tensor.fromArray(targets, n).to(model.device());
                    double loss = F.crossEntropy(logits, tgt, TrainingSequence.IGNORE, 0).item();
                    long[] pred = logits.argmax(-1, false).to(DType.I64).toLongArray();
                    int correct = 0;
                    for (int t = 0; t < n; t++) if (targets[t] != TrainingSequence.IGNORE && pred[t] == targets[t]) correct++;
                    double[] a = acc.computeIfAbsent(s.task(), k -> new double[3]);
                    a[0] += loss * counted;
                    a[1] += correct;
                    a[2] += counted;
                }
            }
        }
        Map<Task, Result> out = new EnumMap<>(Task.class);
        acc.forEach((task, a) -> out.put(task, new Result(a[0] / a[2], a[1] / a[2], (long) a[2])));
        return out;
    }
}
