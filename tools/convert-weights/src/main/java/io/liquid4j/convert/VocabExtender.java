package io.liquid4j.convert;

import io.liquid4j.convert.LiquidTokenizerFiles.SpecialToken;
import io.liquid4j.convert.StreamingSafetensorsWriter.PlannedTensor;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;
import io.liquid4j.tensor.io.SafetensorsFile;
import io.liquid4j.tensor.io.ShardedCheckpoint;
import io.liquid4j.tokenizer.HfTokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Turns an HF-layout CausalLM directory into a Liquid model directory (the spec's "Vocabulary"):
 * the embedding (and an untied lm_head) grows by mean-initialised rows, config.json's
 * vocab_size follows, the tokenizer gains &lt;boi&gt;/&lt;eoi&gt;/&lt;unconditional&gt;, and liquid.json
 * records the layout.
 *
 * <p>Where the three tokens go: a Gemma tokenizer (it has &lt;unused0&gt;, &lt;unused1&gt;,
 * &lt;unused2&gt;) has them renamed in place, so text_vocab_size stays the config's vocab_size V
 * and the matrices grow by {@code codes} rows. Any other tokenizer gets them as new special
 * tokens at ids V, V+1, V+2; since image code c is token text_vocab_size + c, text_vocab_size
 * is then V + 3 (the tokens must not overlap the code range) and the matrices grow by
 * 3 + codes rows, all mean-initialised.
 *
 * <p>Everything is written into a temporary sibling of the output directory that is renamed
 * when complete, so a failure leaves no partial output. Tensors are streamed in bounded chunks;
 * only top-level regular files of the model directory are carried over.
 */
public final class VocabExtender {
    static final String EMBED = "model.embed_tokens.weight";
    static final String LM_HEAD = "lm_head.weight";
    private static final String[] GEMMA_UNUSED = {"<unused0>", "<unused1>", "<unused2>"};
    private static final String[] LIQUID_TOKENS = {LiquidLayout.BOI, LiquidLayout.EOI, LiquidLayout.UNCONDITIONAL};

    /** What to convert; {@code vqgan} may be null. */
    public record Request(Path model, int codes, int gridRows, int gridCols, Path vqgan, Path out, boolean force) {}

    private VocabExtender() {}

    /** Parses --grid: "ROWSxCOLS" of positive integers. */
    public static int[] parseGrid(String grid) {
        String[] parts = grid.toLowerCase(java.util.Locale.ROOT).split("x", -1);
        try {
            if (parts.length == 2) {
                int r = Integer.parseInt(parts[0].trim()), c = Integer.parseInt(parts[1].trim());
                if (r > 0 && c > 0) return new int[] {r, c};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ConversionException("--grid '" + grid + "' must be ROWSxCOLS of positive integers, e.g. 32x32");
    }

    /** Writes the Liquid model to {@code req.out()}; returns its layout. */
    public static LiquidLayout extend(Request req, PrintStream progress) {
        Path model = req.model();
        if (req.codes() <= 0) throw new ConversionException("--codes must be positive, got " + req.codes());
        if (req.gridRows() <= 0 || req.gridCols() <= 0) throw new ConversionException("--grid must be positive, got " + req.gridRows() + "x" + req.gridCols());
        if (!Files.isDirectory(model)) throw new ConversionException(model, "is not a model directory");
        Path out = req.out().toAbsolutePath().normalize();
        Path modelAbs = realPath(model);
        Path outReal = Files.exists(out) ? realPath(out) : out;
        if (modelAbs.startsWith(outReal) || outReal.startsWith(modelAbs)) {
            throw new ConversionException(req.out(), "overlaps the input model directory " + model + "; write the Liquid model elsewhere");
        }
        if (Files.exists(out) && !req.force()) throw new ConversionException(req.out(), "already exists (give --force to replace it)");
        if (req.vqgan() != null && !Files.isDirectory(req.vqgan())) throw new ConversionException(req.vqgan(), "--vqgan is not a directory");
        if (Files.exists(model.resolve(LiquidLayout.FILE))) {
            throw new ConversionException(model, "is already a Liquid model (it has " + LiquidLayout.FILE + ")");
        }

        Path configFile = model.resolve("config.json");
        Map<String, Object> config = readObject(configFile);
        if (!(config.get("vocab_size") instanceof Long v) || v <= 0 || v > Integer.MAX_VALUE) {
            throw new ConversionException(configFile, "\"vocab_size\" must be a positive integer, got " + config.get("vocab_size"));
        }
        int vocab = (int) (long) v;
        Path tokenizerFile = model.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new ConversionException(tokenizerFile, "missing; extend-vocab needs the Hugging Face tokenizer to place <boi>/<eoi>/<unconditional>");
        }
        List<SpecialToken> tokens = specialTokens(tokenizerFile, vocab);
        boolean renamed = tokens.getFirst().replaces() != null;
        int textVocab = renamed ? vocab : vocab + tokens.size();
        if ((long) textVocab + req.codes() > Integer.MAX_VALUE) throw new ConversionException("--codes " + req.codes() + " makes the vocabulary overflow an int id");
        String vqgan = req.vqgan() == null ? null : relativeVqgan(out, req.vqgan());
        LiquidLayout layout = new LiquidLayout(textVocab, req.codes(), tokens.get(0).id(), tokens.get(1).id(), tokens.get(2).id(),
                req.gridRows(), req.gridCols(), vqgan);
        int extraRows = textVocab + req.codes() - vocab;

        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            writeModel(model, tmp, config, vocab, layout, extraRows, tokens, progress);
            layout.write(tmp);
            publish(tmp, out);
        } catch (IOException e) {
            throw new ConversionException(req.out(), "cannot write: " + e.getMessage(), e);
        } finally {
            deleteTreeQuietly(tmp);
        }
        return layout;
    }

    /** The three tokens: Gemma's unused slots renamed, or new ids V, V+1, V+2. */
    private static List<SpecialToken> specialTokens(Path tokenizerFile, int vocab) {
        HfTokenizer tok;
        try {
            tok = HfTokenizer.load(tokenizerFile);
        } catch (IOException e) {
            throw new ConversionException(tokenizerFile, "cannot read: " + e.getMessage(), e);
        }
        for (String t : LIQUID_TOKENS) {
            if (tok.tokenToId(t) >= 0) throw new ConversionException(tokenizerFile, "already has " + t + ": this is already a Liquid model");
        }
        if (tok.vocabSize() > vocab) {
            throw new ConversionException(tokenizerFile, "has ids up to " + (tok.vocabSize() - 1) + ", beyond config.json vocab_size " + vocab);
        }
        List<SpecialToken> tokens = new ArrayList<>();
        boolean gemma = true;
        for (String u : GEMMA_UNUSED) gemma &= tok.tokenToId(u) >= 0;
        for (int i = 0; i < LIQUID_TOKENS.length; i++) {
            tokens.add(gemma ? new SpecialToken(tok.tokenToId(GEMMA_UNUSED[i]), LIQUID_TOKENS[i], GEMMA_UNUSED[i])
                    : new SpecialToken(vocab + i, LIQUID_TOKENS[i], null));
        }
        return tokens;
    }

    /** The VQGAN directory as liquid.json records it: relative to the output model directory. */
    private static String relativeVqgan(Path out, Path vqgan) {
        return out.relativize(vqgan.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    private static void writeModel(Path model, Path tmp, Map<String, Object> config, int vocab, LiquidLayout layout,
                                   int extraRows, List<SpecialToken> tokens, PrintStream progress) throws IOException {
        long totalSize = 0;
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(model)) {
            checkMatrices(ckpt, config, vocab);
            for (SafetensorsFile shard : ckpt.shards()) {
                List<PlannedTensor> plan = new ArrayList<>();
                for (SafetensorsFile.Entry e : shard.entries()) {
                    boolean grow = e.name().equals(EMBED) || e.name().equals(LM_HEAD);
                    long[] shape = e.shape();
                    if (grow) shape[0] += extraRows;
                    plan.add(new PlannedTensor(e.name(), e.dtypeName(), shape, grow
                            ? MeanRows.appended(shard.path(), e, extraRows)
                            : StreamingSafetensorsWriter.copyOf(shard.path(), e.byteOffset(), e.byteLength())));
                }
                StreamingSafetensorsWriter.write(tmp.resolve(shard.path().getFileName()), plan, shard.metadata(), progress);
                totalSize += plan.stream().mapToLong(PlannedTensor::byteLength).sum();
            }
            List<Path> shardFiles = ckpt.shards().stream().map(s -> s.path().toAbsolutePath().normalize()).toList();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(model)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (Files.isDirectory(p)) {
                        if (progress != null) progress.println("note: not copying the subdirectory " + p);
                        continue;
                    }
                    if (!Files.isRegularFile(p) || shardFiles.contains(p.toAbsolutePath().normalize()) || name.endsWith(".safetensors")) continue;
                    Path dest = tmp.resolve(name);
                    switch (name) {
                        case "config.json" -> Files.write(dest, withVocabSize(config, layout.totalVocabSize()));
                        case "tokenizer.json" -> Files.write(dest, LiquidTokenizerFiles.tokenizerJson(p, tokens));
                        case "tokenizer_config.json" -> Files.write(dest, LiquidTokenizerFiles.tokenizerConfigJson(p, tokens));
                        default -> {
                            if (p.equals(ckpt.path()) && name.endsWith(".index.json")) Files.write(dest, DtypeConverter.rewriteIndex(p, totalSize));
                            else Files.copy(p, dest);
                        }
                    }
                }
            }
        }
    }

    /** The embedding must be there with V rows; so must lm_head when the config unties it. */
    private static void checkMatrices(ShardedCheckpoint ckpt, Map<String, Object> config, int vocab) {
        if (!ckpt.contains(EMBED)) throw new ConversionException(ckpt.path(), "missing tensor " + EMBED);
        // HF defaults: Gemma ties the head to the embedding, Llama/Qwen2 do not
        boolean tied = config.get("tie_word_embeddings") instanceof Boolean b ? b
                : String.valueOf(config.get("model_type")).startsWith("gemma");
        if (!tied && !ckpt.contains(LM_HEAD)) throw new ConversionException(ckpt.path(), "missing tensor " + LM_HEAD + " (config.json unties it from the embedding)");
        for (String name : new String[] {EMBED, LM_HEAD}) {
            if (!ckpt.contains(name)) continue;
            long[] shape = ckpt.entry(name).shape();
            if (shape.length != 2 || shape[0] != vocab) {
                throw new ConversionException(ckpt.fileOf(name).path(), "tensor " + name + " has shape " + java.util.Arrays.toString(shape)
                        + " but config.json vocab_size is " + vocab);
            }
        }
    }

    private static byte[] withVocabSize(Map<String, Object> config, int vocabSize) {
        Map<String, Object> json = new LinkedHashMap<>(config);
        json.put("vocab_size", vocabSize);
        return Json.write(json).getBytes(StandardCharsets.UTF_8);
    }

    /** Renames the finished temporary directory to {@code out}, replacing an existing one (--force) only then. */
    private static void publish(Path tmp, Path out) throws IOException {
        if (!Files.exists(out)) {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Path old = out.resolveSibling(out.getFileName() + ".old-" + ProcessHandle.current().pid());
        deleteTree(old);
        Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /** Symbolic links resolved, so --out cannot reach the input through a link (--force would delete it). */
    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new ConversionException(p, "cannot resolve: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readObject(Path file) {
        if (!Files.isRegularFile(file)) throw new ConversionException(file, "missing");
        try {
            if (Json.parseFile(file) instanceof Map<?, ?> m) return (Map<String, Object>) m;
        } catch (JsonException e) {
            throw new ConversionException(e.getMessage());
        } catch (IOException e) {
            throw new ConversionException(file, "cannot read: " + e.getMessage(), e);
        }
        throw new ConversionException(file, "the top level must be a JSON object");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static void deleteTreeQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException ignored) {
            // the temporary directory is named after the output and the pid; harmless if left
        }
    }
}
