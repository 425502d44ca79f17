package io.liquid4j.cli;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;
import io.liquid4j.tokenizer.BpeTrainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `liquid train-tokenizer`: learn a byte-level BPE tokenizer from text files and write a tokenizer.json. */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true,
        description = {"Learn a byte-level BPE tokenizer (GPT-2 style: all 256 bytes are tokens, so any text encodes) from .txt files "
                + "(one document per line) and .jsonl files (the \"text\" and \"caption\" fields of each record), and write "
                + "DIR/tokenizer.json and DIR/tokenizer_config.json. The special tokens get ids 0, 1, ...; BOS is put in front "
                + "when encoding. The same data and options give the same file."})
final class TrainTokenizerCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, split = ",", paramLabel = "F", description = "Training text, one or more .txt or .jsonl files (comma-separated).")
    List<Path> data;

    @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "Tokens in the vocabulary: specials + 256 bytes + merged tokens (so at least 256 + the specials).")
    int vocabSize;

    @Option(names = "--min-frequency", paramLabel = "K", defaultValue = "2", description = "Merge only pairs seen at least K times (default ${DEFAULT-VALUE}); training stops sooner when none is left.")
    int minFrequency;

    @Option(names = "--special", split = ",", paramLabel = "TOKENS", defaultValue = "<pad>,<eos>,<bos>,<unk>",
            description = "Special tokens, ids 0, 1, ... in this order (default ${DEFAULT-VALUE}; \"\" for none).")
    List<String> special;

    @Option(names = "--bos", paramLabel = "TOKEN", description = "The BOS special (default: <bos>, <s> or <|begin_of_text|>, whichever is among --special).")
    String bos;

    @Option(names = "--eos", paramLabel = "TOKEN", description = "The EOS special (default: <eos>, </s>, <|end_of_text|> or <|endoftext|>, whichever is among --special).")
    String eos;

    @Option(names = "--no-bos", description = "Do not put BOS in front when encoding.")
    boolean noBos;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created if needed; tokenizer.json is replaced atomically).")
    Path out;

    @Override public Integer call() throws IOException {
        for (Path f : data) {
            if (!Files.isRegularFile(f)) throw new IllegalArgumentException(f + ": no such data file");
            if (!isJsonl(f) && !f.getFileName().toString().endsWith(".txt")) {
                throw new IllegalArgumentException(f + ": expected a .txt (one document per line) or .jsonl file");
            }
        }
        List<String> specials = special.stream().filter(s -> !s.isEmpty()).toList();
        if (!noBos && bos == null && Stream.of("<bos>", "<s>", "<|begin_of_text|>").noneMatch(specials::contains)) {
            throw new IllegalArgumentException("no BOS among the special tokens " + specials + ": name one with --bos, or pass --no-bos");
        }
        long t0 = System.nanoTime();
        StepProgress[] bar = {null};
        int[] merged = {0, 0}; // merges so far, merges to fill the vocabulary
        BpeTrainer trainer = BpeTrainer.builder().vocabSize(vocabSize).minFrequency(minFrequency).specialTokens(specials)
                .bosToken(bos).eosToken(eos).addBos(!noBos)
                .progress((done, max) -> {
                    if (bar[0] == null) bar[0] = new StepProgress(System.err, "merges", max);
                    bar[0].update(done);
                    merged[0] = done;
                    merged[1] = max;
                })
                .build();
        long skipped = 0;
        for (Path f : data) skipped += read(f, trainer);
        BpeTrainer.Stats read = trainer.stats();
        System.err.printf(Locale.ROOT, "read %,d documents (%,d bytes, %,d words, %,d distinct) from %d file%s%s in %.1f s%n",
                read.documents(), read.bytes(), read.words(), read.uniqueWords(), data.size(), data.size() == 1 ? "" : "s",
                skipped == 0 ? "" : String.format(Locale.ROOT, ", %,d record%s without \"text\" or \"caption\" skipped", skipped, skipped == 1 ? "" : "s"),
                (System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        trainer.train();
        if (bar[0] != null && merged[0] < merged[1]) bar[0].finish(merged[0]); // stopped by --min-frequency
        Path file = trainer.write(out);
        BpeTrainer.Stats s = trainer.stats();
        System.err.printf(Locale.ROOT, "wrote %s: vocab %,d (%d special + 256 bytes + %,d merges), trained in %.1f s%s%n",
                file, s.vocabSize(), specials.size(), s.merges(), (System.nanoTime() - t1) / 1e9,
                s.stoppedByMinFrequency() ? "; stopped early: no pair left that occurs " + minFrequency + "+ times" : "");
        System.err.printf(Locale.ROOT, "compression on the data: %.2f bytes/token (%,d tokens for %,d bytes)%n",
                s.bytesPerToken(), s.tokens(), s.bytes());
        return 0;
    }

    private static boolean isJsonl(Path f) {
        return f.getFileName().toString().endsWith(".jsonl");
    }

    /** Adds the documents of one file; returns the number of JSONL records that had no text to add. */
    private static long read(Path file, BpeTrainer trainer) throws IOException {
        boolean jsonl = isJsonl(file);
        long skipped = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            for (int n = 1; (line = readLine(in, file, n)) != null; n++) {
                if (!jsonl) {
                    if (!line.isBlank()) trainer.add(line);
                    continue;
                }
                if (line.isBlank()) continue;
                Map<String, Object> record;
                try {
                    record = Json.parseObject(line);
                } catch (JsonException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": bad JSON record: " + e.getMessage(), e);
                }
                boolean any = false;
                for (String field : new String[] {"text", "caption"}) {
                    Object v = record.get(field);
                    if (v == null || v == Json.NULL) continue;
                    if (!(v instanceof String text)) {
                        throw new IllegalArgumentException(file + ":" + n + ": \"" + field + "\" must be a string but is " + Json.typeName(v));
                    }
                    trainer.add(text);
                    any = true;
                }
                if (!any) skipped++;
            }
        }
        return skipped;
    }

    private static String readLine(BufferedReader in, Path file, int n) throws IOException {
        try {
            return in.readLine();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ":" + n + ": not valid UTF-8", e);
        }
    }
}
