package io.liquid4j.cli;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import picocli.CommandLine.Command;

/** `liquid info`: what this build and this machine offer. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print version, JDK, vector species, thread count and available backends.")
final class InfoCommand implements Runnable {
    @Override public void run() {
        var out = System.out;
        out.println("liquid4j " + LiquidCli.version());
        out.println("jdk      " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")");
        out.println("os       " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " processors, max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        out.println("backends");
        out.println("  cpu    available: " + Backends.of(Device.CPU).describe());
        Device gpu = Device.cuda(0);
        if (Backends.isAvailable(gpu)) out.println("  cuda   available: " + Backends.of(gpu).describe());
        else out.println("  cuda   unavailable: " + Backends.probeCuda());
    }
}
