package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests of the CUDA bindings that need no GPU: they run in CI. */
class CudaBindingsTest {
    @Test
    void missingLibraryErrorListsEveryPathTried() {
        CudaException e = assertThrows(CudaException.class, () -> NativeLibraries.load("cuBLASLt", "liquid4j.test.none",
                List.of("/nonexistent/libcublasLt.so.13", "/nonexistent/libcublasLt.so.12")));
        assertTrue(e.getMessage().contains("/nonexistent/libcublasLt.so.13"), e.getMessage());
        assertTrue(e.getMessage().contains("/nonexistent/libcublasLt.so.12"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dliquid4j.test.none"), e.getMessage());
    }

    @Test
    void propertyOverridesTheCandidates() {
        System.setProperty("liquid4j.test.override", "/nonexistent/custom/libcuda.so.1");
        try {
            CudaException e = assertThrows(CudaException.class,
                    () -> NativeLibraries.load("the NVIDIA driver library", "liquid4j.test.override", List.of("libcuda.so.1")));
            assertTrue(e.getMessage().contains("/nonexistent/custom/libcuda.so.1"), e.getMessage());
            assertTrue(!e.getMessage().contains("tried libcuda.so.1"), e.getMessage());
        } finally {
            System.clearProperty("liquid4j.test.override");
        }
    }

    @Test
    void cublasLtCandidatesTry13Then12() {
        List<String> c = CublasLt.candidates();
        assertEquals("libcublasLt.so.13", c.get(0));
        assertEquals("libcublasLt.so.12", c.get(1));
    }

    @Test
    void errorCodesHaveNames() {
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaErrors.driverName(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaErrors.driverName(100));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaErrors.driverName(700));
        assertEquals("CUDA_ERROR_UNKNOWN_CODE_12345", CudaErrors.driverName(12345));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", CudaErrors.cublasName(15));
        CudaException e = new CudaException("cuMemAlloc", 2, CudaErrors.driverName(2), "out of memory");
        assertTrue(e.getMessage().startsWith("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2)"), e.getMessage());
        assertEquals(2, e.code());
    }

    @Test
    void sizeClassesRoundUpWithBoundedWaste() {
        assertEquals(512, SizeClasses.roundUp(0));
        assertEquals(512, SizeClasses.roundUp(1));
        assertEquals(512, SizeClasses.roundUp(512));
        assertEquals(1024, SizeClasses.roundUp(513));
        assertEquals(1L << 20, SizeClasses.roundUp(1L << 20));
        assertEquals((1L << 20) + (1L << 18), SizeClasses.roundUp((1L << 20) + 1));
        assertEquals(3L << 29, SizeClasses.roundUp((5L << 28) + 7));
        for (long b = 1; b < (1L << 40); b = b * 3 + 17) {
            long r = SizeClasses.roundUp(b);
            assertTrue(r >= b, "class below request for " + b);
            assertTrue(b <= SizeClasses.SMALL_LIMIT ? r - b < SizeClasses.SMALL_QUANTUM : r <= b * 1.25 + 1, "too much waste for " + b);
            assertEquals(r, SizeClasses.roundUp(r), "a class is its own class");
        }
    }

    @Test
    void dimsMergeContiguousDims() {
        long[] d = Dims.of(new int[] {4, 5, 6}, new long[] {30, 6, 1}, new long[] {30, 6, 1});
        assertEquals(120, d[0]);
        assertEquals(1, d[1]);
        assertEquals(120, d[2]);
        long[] t = Dims.of(new int[] {4, 5}, new long[] {5, 1}, new long[] {1, 4});  // transposed source
        assertEquals(2, t[1]);
    }

    @Test
    void fatbinIsAResourceWhenNvccExists() {
        boolean nvcc = Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))
                || (System.getenv("CUDA_HOME") != null && Files.isExecutable(Path.of(System.getenv("CUDA_HOME"), "bin", "nvcc")));
        if (!nvcc) return;   // built without GPU kernels: nothing to check
        byte[] fb = CudaKernels.readFatbin();
        assertNotNull(fb, "nvcc exists but " + CudaKernels.FATBIN_RESOURCE + " is not on the classpath");
        assertTrue(fb.length > 10_000);
    }

    @Test
    void unavailableCudaExplainsWhy() {
        if (Backends.isAvailable(Device.cuda(0))) return;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.of(Device.cuda(0)));
        String reason = Backends.cudaUnavailableReason();
        assertTrue(reason.contains("driver") || reason.contains("device") || reason.contains("kernels"), reason);
        assertTrue(e.getMessage().contains(reason));
    }
}
