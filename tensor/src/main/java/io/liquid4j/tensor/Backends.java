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

    /** Null when the JVM runs with both flags the engine needs, else the one line that says which to add. */
    private static final String MISSING_JVM_FLAG = missingJvmFlag();

    static {
        // After the fields above: registers cuda:0 or records why it is unavailable. Loaded by
        // name so the CPU-only core never links against the CUDA classes it may not need.
        if (MISSING_JVM_FLAG != null) cudaUnavailableReason = MISSING_JVM_FLAG;
        else try {
            Class.forName("io.liquid4j.tensor.cuda.CudaBackend").getMethod("tryRegister").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            cudaUnavailableReason = "the CUDA backend failed to initialise: " + e;
        }
    }

    private Backends() {}

    /** The CPU backend, behind {@link OpProfile}'s timing proxy when liquid4j.profileOps is set. */
    private static final Backend CPU = OpProfile.wrap(CpuBackend.INSTANCE);

    /** The JVM flags every run of liquid4j needs (docs/EMBEDDING.md says where to put them). */
    public static final String JVM_FLAGS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED";

    private static String missingJvmFlag() {
        String run = "; run java with " + JVM_FLAGS + " (docs/EMBEDDING.md says where to put them)";
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "liquid4j needs the JVM flag --add-modules jdk.incubator.vector (the Vector API of its CPU kernels)" + run;
        }
        Module engine = Backends.class.getModule();
        if (!engine.isNativeAccessEnabled()) {
            String flag = engine.isNamed() ? "--enable-native-access=" + engine.getName() : "--enable-native-access=ALL-UNNAMED";
            return "liquid4j needs the JVM flag " + flag + " (its backends call native code through FFM)" + run;
        }
        return null;
    }

    /**
     * Throws IllegalStateException with one line naming the missing flag when the JVM was started
     * without {@link #JVM_FLAGS}; every tensor operation passes through here first, so a missing
     * flag fails the first call with that line rather than a NoClassDefFoundError.
     */
    public static void requireJvmFlags() {
        if (MISSING_JVM_FLAG != null) throw new IllegalStateException(MISSING_JVM_FLAG);
    }

    public static Backend of(Device device) {
        if (MISSING_JVM_FLAG != null) throw new IllegalStateException(MISSING_JVM_FLAG);
        if (device.isCpu()) return CPU;
        Backend b = REGISTERED.get(device);
        if (b == null) throw new IllegalStateException("device " + device + " is not available: " + cudaUnavailableReason);
        return b;
    }

    /** Threads the CPU backend's kernels split their work across now (see {@link #limitCpuThreads}). */
    public static int cpuThreads() { return io.liquid4j.tensor.cpu.CpuThreads.threads(); }

    /**
     * Sets the most threads the CPU backend's kernels split work across from their next call on
     * (1 to {@code liquid4j.threads}) and returns the previous limit: for running independent jobs
     * side by side on threads of one's own (one each, instead of oversubscribing the cores). The
     * kernels give the same bits for any split, so this changes speed, never results.
     */
    public static int limitCpuThreads(int n) { return io.liquid4j.tensor.cpu.CpuThreads.limit(n); }

    /** Called by a device backend once it has initialised (backend use, not API). */
    public static void register(Backend backend) { REGISTERED.put(backend.device(), backend); }

    /** Records why CUDA devices are unavailable (shown by `liquid info` and in errors; backend use, not API). */
    public static void setCudaUnavailableReason(String reason) { cudaUnavailableReason = reason; }

    public static String cudaUnavailableReason() { return cudaUnavailableReason; }

    /**
     * Why CUDA devices are unavailable, after looking for the NVIDIA driver library: "no driver"
     * and "driver present but no CUDA backend in this build" are different problems for a user.
     */
    @SuppressWarnings("restricted")   // a library lookup: whether the NVIDIA driver can be loaded at all
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
