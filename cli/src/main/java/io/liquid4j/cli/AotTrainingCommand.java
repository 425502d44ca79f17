package io.liquid4j.cli;

import io.liquid4j.api.RandomModel;
import io.liquid4j.generate.GenerationConfig;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.generate.TextGenerator;
import io.liquid4j.generate.TokenListener;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.nn.layers.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * `liquid aot-training` (hidden): the workload `./liquid` runs once per build under
 * {@code -XX:AOTCacheOutput} to record the JDK's AOT cache (JEP 483/514/515): the classes a command
 * loads and links, and the method profiles of the decode path (embedding, attention over a KV
 * cache, the F32 / BF16 / Q8_0 / Q4_0 GEMV kernels, sampling), so that a fresh `liquid generate`
 * starts with them loaded and C2 compiles the hot kernels early. Writes a small random model to
 * a temporary directory, generates from it in each weight format, and deletes it.
 */
@Command(name = "aot-training", hidden = true, description = "The AOT-cache training run of ./liquid (internal).")
final class AotTrainingCommand implements Callable<Integer> {
    @Override public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("liquid-aot-");
        try {
            Path model = RandomModel.builder().hiddenSize(256).intermediateSize(512).layers(2).heads(4).context(512).build().writeTo(dir.resolve("m"));
            SamplingParams greedy = SamplingParams.GREEDY;
            for (int round = 0; round < 6; round++) {
                try (var scope = TensorScope.open()) {
                    DType dt = round % 2 == 0 ? null : DType.BF16;
                    CausalLM lm = CausalLM.fromPretrained(model, dt, Device.CPU);
                    if (round >= 2) {
                        QuantFormat f = round < 4 ? QuantFormat.Q8_0 : QuantFormat.Q4_0;
                        for (var m : lm.namedModules().values()) {
                            if (m instanceof Linear l) l.quantize(QuantizedWeight.quantize(l.weight().value(), f).unscoped());
                        }
                    }
                    new TextGenerator(lm).generate(List.of(new int[] {1, 5, 9, 12, 7, 3, 20, 4}), new GenerationConfig(200, greedy, new int[0], 0), TokenListener.NONE);
                }
            }
            return 0;
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
