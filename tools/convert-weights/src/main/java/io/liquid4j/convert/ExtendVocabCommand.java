package io.liquid4j.convert;

import io.liquid4j.liquid.LiquidLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** `convert-weights extend-vocab --model DIR --codes N --out DIR2`: make a Liquid model of a text LM. */
@Command(name = "extend-vocab", mixinStandardHelpOptions = true,
        description = {"Make a Liquid model directory from an HF CausalLM directory: the embedding (and an untied lm_head) "
                + "grows by mean-initialised rows for the image codes, config.json vocab_size follows, the tokenizer gets "
                + "<boi>/<eoi>/<unconditional> (special), and liquid.json records the layout.",
                "Gemma: <unused0..2> (ids 7, 8, 9) are renamed, text_vocab_size = vocab_size, +CODES rows. "
                + "Other tokenizers: the three are added at ids V, V+1, V+2 (V = vocab_size), so text_vocab_size = V+3 "
                + "and the matrices grow by 3+CODES rows (image codes never overlap text ids).",
                "Only top-level files are copied; the output is written to a temporary directory and renamed when complete."})
final class ExtendVocabCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json, tokenizer.json, safetensors, sharded too).")
    Path model;

    @Option(names = "--codes", required = true, paramLabel = "N", description = "Image codes to add (the VQGAN codebook size, 8192 for Liquid).")
    int codes;

    @Option(names = "--grid", defaultValue = "32x32", paramLabel = "ROWSxCOLS", description = "Code grid of one image (default: ${DEFAULT-VALUE}).")
    String grid;

    @Option(names = "--vqgan", paramLabel = "VQDIR", description = "VQGAN directory to record in liquid.json (relative to the output); nothing is copied.")
    Path vqgan;

    @Option(names = "--out", required = true, paramLabel = "DIR2", description = "Output model directory (must not exist).")
    Path out;

    @Option(names = "--force", description = "Replace DIR2 if it exists (only once the new one is complete).")
    boolean force;

    @Override public void run() {
        int[] g = VocabExtender.parseGrid(grid);
        ConversionOutput.removeStaleTemps(out.toAbsolutePath().normalize().getParent(), System.err);
        LiquidLayout l = VocabExtender.extend(new VocabExtender.Request(model, codes, g[0], g[1], vqgan, out, force), System.err);
        System.err.printf("wrote %s: text_vocab_size %d + %d image codes = vocab_size %d; <boi> %d, <eoi> %d, <unconditional> %d%n",
                out, l.textVocabSize(), l.imageCodes(), l.totalVocabSize(), l.boiId(), l.eoiId(), l.unconditionalId());
    }
}
