package io.liquid4j.convert;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** `convert-weights llama2c`: a llama2.c .bin (TinyStories) becomes an HF-layout Llama directory. */
@Command(name = "llama2c", mixinStandardHelpOptions = true,
        description = "Convert a legacy llama2.c checkpoint (e.g. stories110M.bin) into an HF Llama directory:"
                + " config.json, model.safetensors (q/k rows permuted for HF RoPE) and tokenizer.bin.")
final class Llama2cCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "X.bin", description = "The llama2.c checkpoint (legacy v0 format).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "tok.bin", description = "The llama2.c tokenizer.bin to copy next to the weights.")
    Path tokenizer;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model directory (must not exist or be empty, unless --force; "
            + "written to DIR.tmp-PID and renamed when complete).")
    Path out;

    @Option(names = "--force", description = "Replace the output if it exists (only once the new one is complete).")
    boolean force;

    @Override public void run() {
        if (tokenizer != null && !java.nio.file.Files.isRegularFile(tokenizer)) {
            throw new ConversionException(tokenizer, "no such tokenizer file");
        }
        if (!java.nio.file.Files.isRegularFile(model)) throw new ConversionException(model, "no such checkpoint file");
        Llama2cHeader h = ConversionOutput.writeDirectory(out, force, "--out", System.err, dir -> Llama2cConverter.convert(model, tokenizer, dir, System.err));
        System.err.println("wrote " + out.resolve(Llama2cConverter.WEIGHTS_FILE) + " and " + Llama2cConverter.CONFIG_FILE
                + (tokenizer != null ? " and " + Llama2cConverter.TOKENIZER_FILE : "") + " (" + h.nLayers() + " layers, "
                + (h.sharedClassifier() ? "tied" : "separate") + " lm_head)");
    }
}
