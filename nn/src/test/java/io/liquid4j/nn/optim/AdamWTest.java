package io.liquid4j.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdamW + grad-norm clipping + cosine warmup schedule against torch.optim.AdamW (make_model_fixtures.py). */
class AdamWTest {
    @Test
    void fiveStepsMatchTorch() throws URISyntaxException {
        Map<String, Tensor> f = Checkpoint.loadAll(Path.of(AdamWTest.class.getResource("/optim/adamw.safetensors").toURI()));
        Parameter w = new Parameter(f.get("w0").clone()), b = new Parameter(f.get("b0").clone());
        List<Parameter> params = List.of(w, b);
        CosineSchedule schedule = new CosineSchedule(0.1, 0.01, 2, 5);
        float[] lrs = f.get("lrs").toFloatArray(), norms = f.get("norms").toFloatArray();
        try (AdamW opt = new AdamW(params, 0.1, 0.9, 0.95, 1e-8, 0.1)) {
            for (int step = 0; step < 5; step++) {
                try (var _ = GradMode.noGrad()) {
                    w.value().setGrad(f.get("gw" + step).clone());
                    b.value().setGrad(f.get("gb" + step).clone());
                }
                double norm = GradClip.clipGradNorm(params, 1.0);
                assertEquals(norms[step], norm, 1e-5 * norms[step], "grad norm at step " + step);
                assertEquals(lrs[step], schedule.at(step), 1e-7, "lr at step " + step);
                opt.setLearningRate(schedule.at(step));
                opt.step();
                assertArrayClose(f.get("w" + (step + 1)).toFloatArray(), w.value().toFloatArray(), "w after step " + (step + 1));
                assertArrayClose(f.get("b" + (step + 1)).toFloatArray(), b.value().toFloatArray(), "b after step " + (step + 1));
            }
        }
    }

    private static void assertArrayClose(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
    }
}
