package io.liquid4j.demo;

import io.liquid4j.cli.DeviceOption;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `liquid demo`: the Liquid recipe end to end on ShapesWorld, with a report whose numbers come from an exact scorer. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The Liquid recipe end to end, with no downloads: render ShapesWorld (captioned shape images + text), train a BPE "
                + "tokenizer, a VQGAN and a small Llama on the text, extend its vocabulary with the image codes, train it on text + "
                + "text-to-image + captioning with z-loss, then judge generated images and captions with an exact pixel scorer. "
                + "Writes OUT/report.md, OUT/report.html and OUT/images/; finished stages are reused on a rerun (--fresh redoes them). "
                + "About 10 minutes on a 2-core CPU (400-740 s measured on AVX2 and AVX-512 VMs, by the VM's hour)."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "out/demo", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--fresh", description = "Redo every stage instead of reusing finished ones.")
    boolean fresh;

    @Option(names = "--size", paramLabel = "standard|tiny", defaultValue = "standard",
            description = "standard (the measured run) or tiny (every stage at toy sizes, a smoke test of a minute or two) (default ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the data, weights and sampling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--study", description = "After the demo, the paper's three findings in miniature (scaling over 4 LM sizes, the cost of image data "
            + "on text perplexity, transfer between generation and captioning), as plots and a section of the report (21-43 minutes on the 2-core VMs measured, after the demo).")
    boolean study;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", description = "Where the models train and run: cpu (default), cuda or cuda:N.")
    String device;

    @Override public Integer call() throws Exception {
        DemoSettings settings = DemoSettings.named(size.toLowerCase(Locale.ROOT));
        DeviceOption.parse(device);     // a bad --device fails now, not after the data stage
        if (fresh) Stages.deleteAll(out.resolve("work"));
        long t0 = System.nanoTime();
        DemoResults r = new DemoPipeline(out, settings, seed, device, System.err).run(study);
        System.err.printf(Locale.ROOT, "%ndemo finished in %.0f s: %s and %s%n", (System.nanoTime() - t0) / 1e9,
                out.resolve("report.md"), out.resolve("report.html"));
        System.err.println(Summary.of(r));
        return 0;
    }
}
