package io.liquid4j.tensor.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * FFM binding of the cuBLASLt calls liquid4j needs. The library is looked up as
 * libcublasLt.so.13, then .so.12 (also under $CUDA_HOME/lib64 and /usr/local/cuda/lib64);
 * -Dliquid4j.cublasLt=PATH overrides. Every call is checked (status name in the exception).
 */
@SuppressWarnings("restricted")   // binding native code through FFM is this class's job (--enable-native-access)
public final class CublasLt {
    // cudaDataType_t, cublasComputeType_t, cublasOperation_t and attribute ids (cublasLt.h, CUDA 12/13)
    public static final int R_32F = 0, R_16F = 2, R_16BF = 14;
    public static final int COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77;
    public static final int OP_N = 0, OP_T = 1;
    static final int DESC_TRANSA = 3, DESC_TRANSB = 4;
    static final int LAYOUT_BATCH_COUNT = 5, LAYOUT_STRIDED_BATCH_OFFSET = 6;
    static final int PREF_MAX_WORKSPACE_BYTES = 1, PREF_MIN_ALIGN_A = 5, PREF_MIN_ALIGN_B = 6, PREF_MIN_ALIGN_C = 7, PREF_MIN_ALIGN_D = 8;
    /** sizeof(cublasLtMatmulHeuristicResult_t): algo (64) + workspaceSize (8) + state (4) + waves (4) + reserved (16). */
    static final long HEURISTIC_RESULT_BYTES = 96;

    public static List<String> candidates() {
        List<String> c = new ArrayList<>(List.of("libcublasLt.so.13", "libcublasLt.so.12"));
        String home = System.getenv("CUDA_HOME");
        for (String dir : new String[] {home == null ? null : home + "/lib64", "/usr/local/cuda/lib64"}) {
            if (dir != null) {
                c.add(dir + "/libcublasLt.so.13");
                c.add(dir + "/libcublasLt.so.12");
            }
        }
        return c;
    }

    private static volatile CublasLt instance;
    private final SymbolLookup lib;
    final MethodHandle create, getVersion, descCreate, descSetAttr, descDestroy, layoutCreate, layoutSetAttr, layoutDestroy,
            prefCreate, prefSetAttr, prefDestroy, heuristic, matmul;
    /** cublasLtMatmulAlgoConfigGetAttribute, or null (only used to name the chosen algorithm). */
    final MethodHandle algoConfigGet;

    private CublasLt(SymbolLookup lib) {
        this.lib = lib;
        create = h("cublasLtCreate", d(ADDRESS));
        getVersion = Linker.nativeLinker().downcallHandle(lib.find("cublasLtGetVersion").orElseThrow(), FunctionDescriptor.of(JAVA_LONG));
        descCreate = h("cublasLtMatmulDescCreate", d(ADDRESS, JAVA_INT, JAVA_INT));
        descSetAttr = h("cublasLtMatmulDescSetAttribute", d(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        descDestroy = h("cublasLtMatmulDescDestroy", d(JAVA_LONG));
        layoutCreate = h("cublasLtMatrixLayoutCreate", d(ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        layoutSetAttr = h("cublasLtMatrixLayoutSetAttribute", d(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        layoutDestroy = h("cublasLtMatrixLayoutDestroy", d(JAVA_LONG));
        prefCreate = h("cublasLtMatmulPreferenceCreate", d(ADDRESS));
        prefSetAttr = h("cublasLtMatmulPreferenceSetAttribute", d(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        prefDestroy = h("cublasLtMatmulPreferenceDestroy", d(JAVA_LONG));
        heuristic = h("cublasLtMatmulAlgoGetHeuristic",
                d(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        matmul = h("cublasLtMatmul", d(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        algoConfigGet = lib.find("cublasLtMatmulAlgoConfigGetAttribute")
                .map(a -> Linker.nativeLinker().downcallHandle(a, d(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS))).orElse(null);
    }

    public static CublasLt get() {
        CublasLt c = instance;
        if (c == null) {
            synchronized (CublasLt.class) {
                if (instance == null) instance = new CublasLt(NativeLibraries.load("cuBLASLt", "liquid4j.cublasLt", candidates()));
                c = instance;
            }
        }
        return c;
    }

    private static FunctionDescriptor d(MemoryLayout... a) { return FunctionDescriptor.of(JAVA_INT, a); }

    private MethodHandle h(String name, FunctionDescriptor fd) {
        return Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(
                () -> new CudaException("cuBLASLt lacks " + name + " (too old a version?)")), fd);
    }

    /** Invokes a status-returning function and throws on a non-zero status. */
    void call(String fn, MethodHandle mh, Object... args) {
        int rc;
        try {
            rc = (int) mh.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException(fn + ": native call failed: " + t);
        }
        if (rc != 0) throw new CudaException(fn, rc, CudaErrors.cublasName(rc), "cuBLASLt status " + rc);
    }

    public long version() {
        try {
            return (long) getVersion.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    public long createHandle() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            call("cublasLtCreate", create, p);
            return p.get(ADDRESS, 0).address();
        }
    }
}
