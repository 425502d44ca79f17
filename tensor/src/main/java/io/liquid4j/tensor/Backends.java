package io.liquid4j.tensor;

import io.liquid4j.tensor.cpu.CpuBackend;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the backend of a device. The CPU backend is always present; a CUDA backend registers
 * itself when the driver and kernels load, otherwise {@link #of} explains why it is missing.
 */
public final class Backends {
    private static final Map<Device, Backend> REGISTERED = new ConcurrentHashMap<>();
    private static volatile String cudaUnavailableReason = "the CUDA backend is not built into this version of liquid4j";

    static {
        // After the fields above: registers cuda:0 or records why it is unavailable. Loaded by
        // name so the CPU-only core never links against the CUDA classes it may not need.
        try {
            Class.forName("io.liquid4j.tensor.cuda.CudaBackend").getMethod("tryRegister").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            cudaUnavailableReason = "the CUDA backend failed to initialise: " + e;
        }
    }

    private Backends() {}

    public static Backend of(Device device) {
        if (device.isCpu()) return CpuBackend.INSTANCE;
        Backend b = REGISTERED.get(device);
        if (b == null) throw new IllegalStateException("device " + device + " is not available: " + cudaUnavailableReason);
        return b;
    }

    /** Called by a device backend once it has initialised. */
    public static void register(Backend backend) { REGISTERED.put(backend.device(), backend); }

    /** Records why CUDA devices are unavailable (shown by `liquid info` and in errors). */
    public static void setCudaUnavailableReason(String reason) { cudaUnavailableReason = reason; }

    public static String cudaUnavailableReason() { return cudaUnavailableReason; }

    /**
     * Why CUDA devices are unavailable, after looking for the NVIDIA driver library: "no driver"
     * and "driver present but no CUDA backend in this build" are different problems for a user.
     */
    public static String probeCuda() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.SymbolLookup.libraryLookup("libcuda.so.1", arena);
        } catch (IllegalArgumentException e) {
            return "no NVIDIA driver (libcuda.so.1 cannot be loaded)";
        }
        return isAvailable(Device.cuda(0)) ? "CUDA available" : "NVIDIA driver found, but " + cudaUnavailableReason;
    }

    public static boolean isAvailable(Device device) {
        return device.isCpu() || REGISTERED.containsKey(device);
    }

    /**
     * CUDA devices the NVIDIA driver sees (0 without a working CUDA backend), so code above the
     * tensor module can name the devices a machine has without touching the driver itself.
     */
    public static int cudaDeviceCount() {
        if (!isAvailable(Device.cuda(0))) return 0;
        try {
            return (int) Class.forName("io.liquid4j.tensor.cuda.CudaBackend").getMethod("deviceCount").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot ask the CUDA backend for its devices: " + e, e);
        }
    }
}
