package io.liquid4j.cli;

import io.liquid4j.generate.GenerationConfig;
import io.liquid4j.generate.GenerationResult;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.generate.StopIds;
import io.liquid4j.generate.TextGenerator;
import io.liquid4j.generate.TextStream;
import io.liquid4j.generate.TokenListener;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * `liquid generate`: text continuation with a Llama / Qwen2 / Gemma / Gemma 2 model directory.
 * The generated text streams to stdout (or the ids, with --print-ids); load time and speed go
 * to stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a causal language model (HF layout: config.json + safetensors).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (repeat for a batch); needs the model's tokenizer.")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--prompt-ids", paramLabel = "IDS", description = "Prompt as comma-separated token ids, e.g. 2,651,6037 (repeat for a batch).")
    List<String> promptIds = new ArrayList<>();

    @Option(names = "--print-ids", description = "Print the generated ids (comma-separated, one line per prompt) instead of text.")
    boolean printIds;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Most tokens to generate per prompt (default 64, cut to what the context leaves; "
            + "an explicit value beyond the context is an error).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 = greedy (default); > 0 samples.")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Sample among the K most likely tokens (0 = all).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "Nucleus sampling mass (1 = off).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Sampling seed.")
    long seed;

    @Option(names = "--stop-ids", paramLabel = "IDS", description = "Comma-separated ids that end a row (default: the model's and tokenizer's EOS).")
    String stopIds;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype: auto (as stored, zero-copy), f32, bf16, f16.")
    String dtype;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Mixin KvCacheOption kvCacheOption;

    @Override public Integer call() throws IOException {
        if (prompts.isEmpty() == promptIds.isEmpty()) throw new IllegalArgumentException("give either --prompt or --prompt-ids (not both, not neither)");
        // everything that can be checked without the weights is checked first: a bad option fails in milliseconds
        SamplingParams sampling = CliChecks.sampling(temperature, topK, topP, seed);
        DType weightType = parseDType(dtype);
        int[] explicitStops = stopIds != null ? parseIds(stopIds, "--stop-ids") : null;
        Device dev = deviceOption.device();
        PrintStream err = System.err;
        ModelConfig config = ConfigParser.load(model);
        Tokenizer tokenizer = loadTokenizer(model);
        if (tokenizer != null && tokenizer.vocabSize() > config.vocabSize()) {
            throw new IllegalArgumentException(model + ": the tokenizer has " + tokenizer.vocabSize() + " tokens but the model's vocab_size is " + config.vocabSize());
        }
        List<int[]> batch = new ArrayList<>();
        if (!prompts.isEmpty()) {
            if (tokenizer == null) throw new IllegalArgumentException(model + " holds no tokenizer.json or tokenizer.bin: use --prompt-ids");
            for (String p : prompts) batch.add(tokenizer.encode(p, true));
        } else {
            for (String p : promptIds) batch.add(parseIds(p, "--prompt-ids"));
        }
        for (int[] p : batch) {
            for (int id : p) {
                if (id >= config.vocabSize()) throw new IllegalArgumentException("--prompt-ids: token id " + id + " is outside the model's vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        int longest = batch.stream().mapToInt(p -> p.length).max().orElse(0);
        int limit = CliChecks.newTokens(maxNewTokens, 64, longest, config.maxPositions());
        CliChecks.kvCacheFits(config, batch.size(), (long) longest + Math.max(limit, 1), kvCacheOption.bound(), dev);

        long t0 = System.nanoTime();
        CausalLM lm = CausalLM.fromPretrained(model, weightType, dev, checkOption.check());
        DType cacheType = kvCacheOption.dtype(lm);
        long loaded = System.nanoTime();
        err.printf(Locale.ROOT, "loaded %s (%,d parameters) on %s in %.1f s%n", lm.config(), lm.parameterCount(), dev, (System.nanoTime() - t0) / 1e9);
        boolean ids = printIds || tokenizer == null;
        int[] stops = explicitStops != null ? explicitStops : defaultStops(lm, tokenizer);
        int pad = lm.config().padTokenId() >= 0 ? lm.config().padTokenId() : 0;
        GenerationConfig cfg = new GenerationConfig(limit, sampling, stops, pad);

        // a single prompt streams as it is generated; a batch prints when done
        TokenListener listener = !ids && batch.size() == 1 ? textStream(tokenizer) : TokenListener.NONE;
        GenerationResult r = new TextGenerator(lm, cacheType).generate(batch, cfg, listener);
        for (int b = 0; b < batch.size(); b++) {
            int[] out = r.tokens().get(b);
            if (ids) {
                System.out.println(String.join(",", Arrays.stream(out).mapToObj(Integer::toString).toList()));
            } else if (batch.size() > 1) {
                System.out.println(tokenizer.decode(out, true));
            }
        }
        if (!ids && batch.size() == 1) System.out.println();
        System.out.flush();
        err.printf(Locale.ROOT, "prefill %d tokens: %.1f tok/s; decode %d steps × %d rows: %.1f tok/s%n",
                r.promptTokens(), r.prefillTokensPerSecond(), r.decodeSteps(), batch.size(), r.decodeTokensPerSecond());
        // what a user waits for: the first new token, counted from the process's start (./liquid execs the JVM in
        // the same process, so its checks count too) and from the end of loading
        double prefill = r.prefillNanos() / 1e9;
        double sinceLoad = (loaded - t0) / 1e9;
        java.util.Optional<java.time.Instant> started = ProcessHandle.current().info().startInstant();
        if (started.isPresent()) {
            double sinceStart = java.time.Duration.between(started.get(), java.time.Instant.now()).toNanos() / 1e9
                    - (System.nanoTime() - loaded) / 1e9 + prefill;
            err.printf(Locale.ROOT, "first token %.2f s after the process started (the launcher script included; loading %.2f s, prefill %.2f s)%n", sinceStart, sinceLoad, prefill);
        }
        return 0;
    }

    /** Streams row 0's text to stdout as it is generated. */
    static TokenListener textStream(Tokenizer tokenizer) {
        return new TextStream(tokenizer, text -> {
            System.out.print(text);
            System.out.flush();
        });
    }

    static Tokenizer loadTokenizer(Path dir) throws IOException {
        boolean has = Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("tokenizer.bin"));
        return has ? Tokenizer.load(dir) : null;
    }

    static int[] defaultStops(CausalLM lm, Tokenizer tokenizer) {
        return StopIds.defaults(lm.config(), tokenizer);
    }

    /** "2,651, 6037" → ids; the option name goes into the error. */
    static int[] parseIds(String list, String option) {
        String[] parts = list.trim().split("\\s*,\\s*");
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + parts[i] + "' is not a token id (expected e.g. 2,651,6037)");
            }
            if (r[i] < 0) throw new IllegalArgumentException(option + ": token id " + r[i] + " is negative");
        }
        return r;
    }

    /** auto → null (as stored). */
    static DType parseDType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16" -> DType.F16;
            default -> throw new IllegalArgumentException("--dtype: '" + name + "' is not one of auto, f32, bf16, f16");
        };
    }
}
