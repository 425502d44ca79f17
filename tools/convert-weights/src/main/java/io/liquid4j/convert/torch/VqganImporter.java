package io.liquid4j.convert.torch;

import io.liquid4j.nn.Parameter;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Turns a taming-transformers VQGAN checkpoint (Lightning .ckpt + vqgan.yaml) into a liquid4j
 * model directory: config.json and model.safetensors with exactly the VQModel's weights, in the
 * dtype they were stored in. Loss and discriminator weights are dropped and reported.
 */
public final class VqganImporter {
    private VqganImporter() {}

    /** What an import wrote and left out. */
    public record Result(VqConfig config, int tensors, List<String> dropped, long parameters) {}

    /** Reads the VQModel sizes from a vqgan.yaml (model.params.{embed_dim, n_embed, ddconfig}, or those keys at the top). */
    public static VqConfig readYaml(Path yamlFile) {
        Object doc;
        try (Reader r = Files.newBufferedReader(yamlFile)) {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(yamlFile + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new TorchFormatException(yamlFile, "is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Map<?, ?> params = map(yamlFile, doc, "the document");
        if (params.get("model") instanceof Map<?, ?> model) {
            params = map(yamlFile, model.get("params"), "model.params");
        }
        Map<?, ?> dd = map(yamlFile, params.get("ddconfig"), "ddconfig");
        Map<String, Object> merged = new LinkedHashMap<>();
        for (var e : dd.entrySet()) merged.put(String.valueOf(e.getKey()), e.getValue());
        merged.put("embed_dim", params.get("embed_dim"));
        merged.put("n_embed", params.get("n_embed"));
        return VqConfig.fromMap(merged, yamlFile.toString());
    }

    private static Map<?, ?> map(Path file, Object o, String what) {
        if (o instanceof Map<?, ?> m) return m;
        throw new TorchFormatException(file, what + " must be a mapping, got " + (o == null ? "nothing" : o.getClass().getSimpleName()));
    }

    /** Imports ckpt with the sizes of yaml into outDir (created if needed). Progress goes to log (may be null). */
    public static Result convert(Path ckptFile, Path yamlFile, Path outDir, boolean lenient, PrintStream log) {
        VqConfig config = readYaml(yamlFile);
        Map<String, int[]> expected = new LinkedHashMap<>();
        long parameters = 0;
        try (var _ = TensorScope.open()) {
            // a model only to learn the names and shapes the config implies
            VQModel shape = new VQModel(config, new Generator(0));
            for (Map.Entry<String, Parameter> e : shape.namedParameters().entrySet()) {
                expected.put(e.getKey(), e.getValue().shape());
                parameters += e.getValue().numel();
            }
            for (Parameter p : shape.parameters()) p.value().close();
        }
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(ckptFile, lenient); var _ = TensorScope.open()) {
            Map<String, TensorRef> sd = ckpt.stateDict();
            List<String> missing = new ArrayList<>(), mismatched = new ArrayList<>(), dropped = new ArrayList<>();
            for (var e : expected.entrySet()) {
                TensorRef t = sd.get(e.getKey());
                if (t == null) missing.add(e.getKey());
                else if (!Arrays.equals(t.shape(), e.getValue())) {
                    mismatched.add(e.getKey() + " is " + Arrays.toString(t.shape()) + ", the config needs " + Arrays.toString(e.getValue()));
                }
            }
            for (String k : sd.keySet()) if (!expected.containsKey(k)) dropped.add(k);
            if (!missing.isEmpty() || !mismatched.isEmpty()) {
                throw new TorchFormatException(ckptFile, "does not hold the VQModel that " + yamlFile.getFileName() + " describes: "
                        + (missing.isEmpty() ? "" : "missing " + first(missing) + " ") + (mismatched.isEmpty() ? "" : "wrong shapes " + first(mismatched)));
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            int i = 0;
            for (String name : expected.keySet()) {
                out.put(name, ckpt.tensor(name, sd.get(name)));
                if (log != null && (++i % 50 == 0 || i == expected.size())) log.printf("\rread %d / %d tensors", i, expected.size());
            }
            if (log != null) log.println();
            try {
                Files.createDirectories(outDir);
            } catch (IOException e) {
                throw new UncheckedIOException(outDir + ": cannot create: " + e.getMessage(), e);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("source", ckptFile.getFileName().toString());
            Checkpoint.save(outDir.resolve("model.safetensors"), out, meta);
            config.write(outDir.resolve("config.json"));
            return new Result(config, out.size(), dropped, parameters);
        }
    }

    private static String first(List<String> xs) {
        return xs.size() <= 8 ? xs.toString() : xs.subList(0, 8) + " and " + (xs.size() - 8) + " more";
    }
}
