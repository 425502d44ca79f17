package io.liquid4j.tensor.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;

/** The kernels of liquid4j.fatbin (a jar resource built by kernels/cuda/build.sh), loaded with cuModuleLoadData. */
public final class CudaKernels {
    public static final String FATBIN_RESOURCE = "/io/liquid4j/cuda/liquid4j.fatbin";

    private final CudaDriver drv;
    private final long module;
    private final ConcurrentHashMap<String, Long> functions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> sharedAllowed = new ConcurrentHashMap<>();

    CudaKernels(CudaDriver drv, byte[] fatbin) {
        this.drv = drv;
        MemorySegment image = Arena.global().allocate(fatbin.length + 1L, 16);
        MemorySegment.copy(fatbin, 0, image, ValueLayout.JAVA_BYTE, 0, fatbin.length);
        this.module = drv.moduleLoadData(image);
    }

    /** The fatbin bytes from the classpath, or null when this build has none (nvcc was missing). */
    public static byte[] readFatbin() {
        try (InputStream in = CudaKernels.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("cannot read " + FATBIN_RESOURCE + ": " + e.getMessage());
        }
    }

    public long function(String name) { return functions.computeIfAbsent(name, n -> drv.moduleGetFunction(module, n)); }

    /**
     * Lets kernel `name` launch with `bytes` of dynamic shared memory: above the default 48 KiB a
     * kernel must opt in (cuFuncSetAttribute), once per function and size.
     */
    public void allowSharedMemory(String name, int bytes) {
        if (bytes <= 48 * 1024) return;
        sharedAllowed.compute(name, (n, have) -> {
            if (have != null && have >= bytes) return have;
            drv.funcSetAttribute(function(n), CudaDriver.FUNC_ATTR_MAX_DYNAMIC_SHARED, bytes);
            return bytes;
        });
    }

    /** Launches a 1-D grid of `blocks` × `threads` on the stream with the given arguments. */
    public void launch(String name, long blocks, int threads, int shmem, long stream, KernelArgs args) {
        if (blocks <= 0) return;
        drv.launch(name, function(name), blocks, threads, shmem, stream, args.pointers());
    }

    /** Blocks for a grid-stride loop over n items: enough to fill the GPU, capped so strides stay cheap. */
    public static long gridFor(long n, int threads) { return Math.max(1, Math.min((n + threads - 1) / threads, 65535L * 8)); }
}
