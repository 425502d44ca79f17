package io.liquid4j.cli;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid logits`: the logits at every position of one id sequence, saved as safetensors (for comparisons with other engines). */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the logits [1, L, vocab] (F32) of a token sequence at every position to a safetensors file.")
final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json + safetensors).")
    Path model;

    @Option(names = "--ids", required = true, paramLabel = "IDS", description = "Comma-separated token ids, e.g. 2,651,6037.")
    String ids;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .safetensors file (tensors 'logits' and 'ids').")
    Path out;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype: auto (as stored), f32, bf16, f16.")
    String dtype;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Override public Integer call() {
        int[] seq = GenerateCommand.parseIds(ids, "--ids");
        io.liquid4j.tensor.DType weightType = GenerateCommand.parseDType(dtype);
        Device dev = deviceOption.device();
        CliChecks.outputFile(out, "--out");
        var config = io.liquid4j.nn.transformer.ConfigParser.load(model);
        if (config.maxPositions() > 0 && seq.length > config.maxPositions()) {
            throw new IllegalArgumentException("--ids: " + seq.length + " tokens exceed the model's context of " + config.maxPositions() + " positions");
        }
        for (int id : seq) {
            if (id >= config.vocabSize()) throw new IllegalArgumentException("--ids: token id " + id + " is outside the model's vocabulary [0, " + config.vocabSize() + ")");
        }
        CliChecks.fitsInMemory("the logits [1, " + seq.length + ", " + config.vocabSize() + "]", CliChecks.product("the logits", seq.length, config.vocabSize(), 4));
        CausalLM lm = CausalLM.fromPretrained(model, weightType, dev, checkOption.check());
        int vocab = lm.config().vocabSize();
        long[] longs = new long[seq.length];
        for (int i = 0; i < seq.length; i++) {
            if (seq[i] >= vocab) throw new IllegalArgumentException("--ids: token id " + seq[i] + " is outside the model's vocabulary [0, " + vocab + ")");
            longs[i] = seq[i];
        }
        long t0 = System.nanoTime();
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor idTensor = Tensor.fromArray(longs, 1, seq.length);
            Tensor logits = lm.forward(idTensor.to(dev));   // Checkpoint.save copies it back to the host
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("logits", logits);
            tensors.put("ids", idTensor);
            Checkpoint.save(out, tensors, Map.of("model", model.toString(), "generator", "liquid logits"));
        }
        System.err.printf(Locale.ROOT, "wrote logits [1, %d, %d] to %s in %.2f s%n", seq.length, vocab, out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
