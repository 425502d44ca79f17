package io.liquid4j.cli;

import io.liquid4j.liquid.train.Perplexity;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid eval perplexity`: sliding-window text perplexity of a model on a text file or JSONL documents. */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Text perplexity exp(mean NLL per token) of a model: a .txt file is one document, a .jsonl file one document per "
                + "record's \"text\". Documents longer than --seq-len are scored with windows moved by --stride (every token predicted once). "
                + "Prints a JSON object on stdout."})
final class PerplexityCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json, weights, tokenizer.json).")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "F.txt|F.jsonl", description = "Text to score.")
    Path data;

    @Option(names = "--seq-len", paramLabel = "L", description = "Window length (default: the model's context, at most 2048).")
    Integer seqLen;

    @Option(names = "--stride", paramLabel = "S", description = "Window step (default: half of --seq-len).")
    Integer stride;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "8", description = "Windows per forward pass (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Override public Integer call() throws IOException {
        if (seqLen != null && seqLen < 2) throw new IllegalArgumentException("--seq-len " + seqLen + ": must be at least 2");
        if (stride != null && stride < 1) throw new IllegalArgumentException("--stride " + stride + ": must be at least 1");
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size " + batchSize + ": must be at least 1");
        Device dev = deviceOption.device();
        List<String> docs = documents(data);
        Tokenizer tokenizer = GenerateCommand.loadTokenizer(model);
        if (tokenizer == null) throw new IllegalArgumentException(model + " holds no tokenizer.json or tokenizer.bin: perplexity needs the text tokenized");
        var config = io.liquid4j.nn.transformer.ConfigParser.load(model);
        int context = config.maxPositions() > 0 ? config.maxPositions() : 2048;
        int len = seqLen != null ? seqLen : Math.min(context, 2048);
        if (len > context) throw new IllegalArgumentException("--seq-len " + len + " exceeds the model's context of " + context);
        int step = stride != null ? stride : Math.max(1, len / 2);
        if (step > len) throw new IllegalArgumentException("--stride " + step + " is longer than the window (--seq-len " + len + "): tokens would be skipped");
        CausalLM lm = CausalLM.fromPretrained(model, DType.F32, dev, checkOption.check());
        List<int[]> ids = new ArrayList<>(docs.size());
        for (String d : docs) ids.add(tokenizer.encode(d, true));
        StepProgress bar = new StepProgress(System.err, "perplexity", Perplexity.windowCount(ids, len, step));
        Perplexity.Result r = Perplexity.of(lm, ids, len, step, batchSize, n -> bar.update(n, ""));
        System.err.printf(Locale.ROOT, "%,d tokens in %d documents, %d windows of %d (stride %d): perplexity %.4f in %.1f s (%.0f tok/s)%n",
                r.tokens(), docs.size(), r.windows(), len, step, r.perplexity(), r.seconds(), r.tokens() / Math.max(r.seconds(), 1e-9));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("perplexity", r.perplexity());
        out.put("nll_per_token", r.meanNll());
        out.put("tokens", r.tokens());
        out.put("documents", (long) docs.size());
        out.put("windows", r.windows());
        out.put("seq_len", (long) len);
        out.put("stride", (long) step);
        out.put("tokens_per_second", r.tokens() / Math.max(r.seconds(), 1e-9));
        System.out.println(Json.write(out));
        return 0;
    }

    /** The documents of a .txt (the whole file) or .jsonl ("text" of each record) file. */
    static List<String> documents(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--data " + file + ": no such file");
        List<String> docs = new ArrayList<>();
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
            docs.addAll(CliFiles.strings(file, "text"));
        } else {
            docs.add(Files.readString(file, StandardCharsets.UTF_8));
        }
        if (docs.isEmpty()) throw new IllegalArgumentException(file + ": no text to score");
        return docs;
    }
}
