package io.liquid4j.cli;

import io.liquid4j.liquid.train.RunDirectory;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `liquid init`: a model directory with seeded random weights, to pretrain from scratch with
 * `liquid train`. The config is an HF config.json (any of the four families); its vocab_size
 * may be left out and is then the tokenizer's size.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Create a model directory with random weights (to train from scratch): DIR/config.json, DIR/tokenizer.json, "
                + "DIR/model.safetensors. The config is an HF config.json (llama, qwen2, gemma, gemma2); vocab_size defaults to the tokenizer's size."})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "config.json", description = "HF config of the model to create.")
    Path config;

    @Option(names = "--tokenizer", required = true, paramLabel = "tokenizer.json", description = "The tokenizer the model reads (e.g. from `liquid train-tokenizer`).")
    Path tokenizerFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to create (must not exist, or be empty).")
    Path out;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the random weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Override public Integer call() throws IOException {
        if (!Files.isRegularFile(tokenizerFile)) throw new IllegalArgumentException("--tokenizer " + tokenizerFile + ": no such file");
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException("--config " + config + ": no such file");
        if (Files.exists(out) && !CliFiles.isEmptyDirectory(out)) throw new IllegalArgumentException("--out " + out + " already exists: choose a new directory");
        Path tokDir = Files.createTempDirectory("liquid-init-tok");
        Tokenizer tokenizer;
        try {
            Files.copy(tokenizerFile, tokDir.resolve("tokenizer.json"));
            tokenizer = Tokenizer.load(tokDir);
        } finally {
            RunDirectory.deleteTree(tokDir);
        }
        Map<String, Object> json = readConfig();
        if (!json.containsKey("vocab_size")) json.put("vocab_size", (long) tokenizer.vocabSize());
        ModelConfig cfg = ConfigParser.parse(json, config.toString());
        if (cfg.vocabSize() < tokenizer.vocabSize()) {
            throw new IllegalArgumentException(config + ": vocab_size " + cfg.vocabSize() + " is smaller than the tokenizer's " + tokenizer.vocabSize() + " tokens");
        }
        long t0 = System.nanoTime();
        CausalLM lm = new CausalLM(cfg, Init.random(new Generator(seed)));
        CliFiles.writeDirectory(out, dir -> {
            Files.writeString(dir.resolve("config.json"), Json.write(json) + "\n");
            Files.copy(tokenizerFile, dir.resolve("tokenizer.json"));
            Path tokConfig = tokenizerFile.resolveSibling("tokenizer_config.json");
            if (Files.isRegularFile(tokConfig)) Files.copy(tokConfig, dir.resolve("tokenizer_config.json"));
            lm.save(dir.resolve("model.safetensors"), Map.of("format", "pt"));
        });
        System.err.printf(Locale.ROOT, "created %s: %s, %,d parameters, random weights (seed %d) in %.1f s%n",
                out, cfg, lm.parameterCount(), seed, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private Map<String, Object> readConfig() throws IOException {
        try {
            if (!(Json.parseFile(config) instanceof Map<?, ?> m)) throw new IllegalArgumentException(config + ": the top level must be a JSON object");
            Map<String, Object> json = new LinkedHashMap<>();
            m.forEach((k, v) -> json.put((String) k, v));
            return json;
        } catch (JsonException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
