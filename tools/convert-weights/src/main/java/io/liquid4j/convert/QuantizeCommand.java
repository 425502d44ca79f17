package io.liquid4j.convert;

import io.liquid4j.tensor.QuantFormat;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `convert-weights quantize --to q8_0|q4_0 IN OUT`: a model directory with 8- or 4-bit Linear weights. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a model directory's decoder Linear weights (and its LM head) to Q8_0 or Q4_0 blocks.",
            "Each P.weight becomes P.qweight (U8 codes) + P.scales (F16, one per 32 weights); config.json gains quantization_config.",
            "The result loads like any model directory (generate, imagine, eval perplexity ...); it is for inference, not training."})
final class QuantizeCommand implements Runnable {
    @Option(names = "--to", required = true, paramLabel = "q8_0|q4_0", description = "Block format: q8_0 (8.5 bits per weight) or q4_0 (4.5 bits).")
    String to;

    @Option(names = "--keep-head", description = "Leave the LM head (lm_head) in its stored dtype.")
    boolean keepHead;

    @Parameters(index = "0", paramLabel = "IN", description = "A model directory (config.json + safetensors, sharded too).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output directory; an existing one needs --force. Built under a temporary name and renamed when complete.")
    Path out;

    @Option(names = "--force", description = "Replace OUT if it exists (only once the new one is complete).")
    boolean force;

    @Override public void run() {
        QuantFormat format;
        try {
            format = QuantFormat.parse(to);
        } catch (IllegalArgumentException e) {
            throw new ConversionException("--to: " + e.getMessage());
        }
        if (!java.nio.file.Files.exists(in)) throw new ConversionException(in, "no such file or directory");
        List<Path> written = ConversionOutput.writeDirectory(out, force, "OUT", System.err, dir -> Quantizer.quantize(in, dir, format, !keepHead, System.err));
        System.err.println("wrote " + written.size() + " file(s) under " + out + " with " + format.id() + " weights");
    }
}
