package io.liquid4j.convert;

import io.liquid4j.convert.torch.VqganImporter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `convert-weights vqgan --ckpt vqgan.ckpt --config vqgan.yaml --out DIR`: import a taming/Chameleon VQGAN. */
@Command(name = "vqgan", mixinStandardHelpOptions = true,
        description = "Import a taming-transformers / Chameleon VQGAN checkpoint (PyTorch .ckpt + vqgan.yaml) "
                + "into DIR/config.json + DIR/model.safetensors. Loss/discriminator weights are dropped.")
public final class VqganConvertCommand implements Runnable {
    @Option(names = "--ckpt", required = true, paramLabel = "FILE", description = "PyTorch zip checkpoint (Lightning .ckpt or a plain state dict).")
    Path ckpt;

    @Option(names = "--config", required = true, paramLabel = "YAML", description = "The vqgan.yaml that goes with it.")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model directory (must not exist or be empty, unless --force; "
            + "written to DIR.tmp-PID and renamed when complete).")
    Path out;

    @Option(names = "--force", description = "Replace the output if it exists (only once the new one is complete).")
    boolean force;

    @Option(names = "--skip-unknown-objects", description = "Replace objects of classes outside the allow-list (e.g. training "
            + "callbacks) by inert placeholders instead of failing; they are never imported or run.")
    boolean lenient;

    @Override public void run() {
        var r = ConversionOutput.writeDirectory(out, force, "--out", System.err, dir -> VqganImporter.convert(ckpt, config, dir, lenient, System.err));
        System.err.printf("wrote %s/model.safetensors (%d tensors, %,d parameters) and config.json%n", out, r.tensors(), r.parameters());
        if (!r.dropped().isEmpty()) System.err.println("dropped " + r.dropped().size() + " tensors that are not part of the VQModel: " + r.dropped());
    }
}
