package io.liquid4j.convert;

import io.liquid4j.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** `convert-weights dtype --to bf16|f16|f32 IN OUT`: rewrite a checkpoint's floating tensors in another dtype. */
@Command(name = "dtype", mixinStandardHelpOptions = true,
        description = "Convert the floating tensors of a safetensors file or model directory (sharded too) to BF16, F16 or F32 "
                + "(F16 refuses values beyond its ±65504 rather than making them infinite).")
final class DtypeCommand implements Runnable {
    @Option(names = "--to", required = true, paramLabel = "bf16|f16|f32", description = "Target dtype.")
    String to;

    @Parameters(index = "0", paramLabel = "IN", description = "A .safetensors file or a model directory.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output file (for a file) or directory (for a directory); an existing one "
            + "needs --force. Written under a temporary name and renamed when complete.")
    Path out;

    @Option(names = "--force", description = "Replace the output if it exists (only once the new one is complete).")
    boolean force;

    @Override public void run() {
        DType target = DtypeConverter.parseTarget(to);
        if (!java.nio.file.Files.exists(in)) throw new ConversionException(in, "no such file or directory");
        List<Path> written;
        if (java.nio.file.Files.isDirectory(in)) {
            written = ConversionOutput.writeDirectory(out, force, "OUT", System.err, dir -> DtypeConverter.convert(in, dir, target, System.err));
        } else {
            ConversionOutput.claim(java.nio.file.Files.isDirectory(out) ? out.resolve(in.getFileName()) : out, force, "OUT", System.err);
            written = DtypeConverter.convert(in, out, target, System.err);
        }
        System.err.println("wrote " + written.size() + " file(s) under " + out + " with " + target + " weights");
    }
}
