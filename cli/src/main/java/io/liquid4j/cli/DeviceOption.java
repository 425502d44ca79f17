package io.liquid4j.cli;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import picocli.CommandLine.Option;

/**
 * The {@code --device cpu|cuda[:N]} option of the commands that run a model (a picocli mixin), and
 * the one place that turns its value into a usable {@link Device}: a device that cannot run fails
 * here, before any weights are read, with one line saying why.
 */
public final class DeviceOption {
    static final String DESCRIPTION = "Where the model runs: cpu (default), cuda (= cuda:0) or cuda:N. "
            + "Fails with the reason when CUDA is unavailable (see `liquid info`).";

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", description = DESCRIPTION)
    String spec = "cpu";

    /** The chosen device, checked against this machine. */
    Device device() { return resolve(spec, CudaStatus.SYSTEM); }

    /** A --device value parsed and checked against this machine (for callers outside picocli, e.g. the demo). */
    public static Device parse(String spec) { return resolve(spec, CudaStatus.SYSTEM); }

    /** What this process knows about CUDA: an interface so tests can play a machine with GPUs. */
    interface CudaStatus {
        /** Whether a backend for this CUDA device is registered (ready to run). */
        boolean ready(Device device);

        /** Why CUDA cannot be used at all (no driver, no kernels in this build, ...). */
        String whyUnavailable();

        /** CUDA devices the driver sees (only asked when CUDA itself works). */
        int deviceCount();

        CudaStatus SYSTEM = new CudaStatus() {
            @Override public boolean ready(Device device) { return Backends.isAvailable(device); }

            @Override public String whyUnavailable() { return Backends.probeCuda(); }

            @Override public int deviceCount() { return Backends.cudaDeviceCount(); }
        };
    }

    /** Parses spec and checks the device can run; IllegalArgumentException with a one-line reason otherwise. */
    static Device resolve(String spec, CudaStatus cuda) {
        Device d;
        try {
            d = Device.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: " + e.getMessage());
        }
        if (d.isCpu() || cuda.ready(d)) return d;
        // liquid4j registers cuda:0 only, so "CUDA works" is the same question as "cuda:0 is ready"
        if (!cuda.ready(Device.cuda(0))) throw new IllegalArgumentException("--device " + d + ": CUDA is unavailable: " + cuda.whyUnavailable());
        int n = cuda.deviceCount();
        if (d.index() >= n) {
            throw new IllegalArgumentException("--device " + d + ": no such device: this machine has " + n + " CUDA device"
                    + (n == 1 ? " (cuda:0)" : "s (cuda:0 to cuda:" + (n - 1) + ")"));
        }
        throw new IllegalArgumentException("--device " + d + ": liquid4j runs on cuda:0 only; to use GPU " + d.index()
                + ", run with CUDA_VISIBLE_DEVICES=" + d.index() + " and --device cuda:0");
    }
}
