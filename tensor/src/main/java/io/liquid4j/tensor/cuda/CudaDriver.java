package io.liquid4j.tensor.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * FFM downcalls into the CUDA driver API (libcuda.so.1). Handles (contexts, streams, events,
 * modules, functions, graphs) are plain longs holding the C pointer; device pointers are longs.
 * Every call is checked: a non-zero CUresult becomes a {@link CudaException} naming the function,
 * the error name and the driver's message. The context is made current on each calling thread
 * on first use, so Java threads other than the one that initialised may call in.
 */
@SuppressWarnings("restricted")   // binding native code through FFM is this class's job (--enable-native-access)
public final class CudaDriver {
    /** Library names tried for the driver; -Dliquid4j.cuda.driver=PATH overrides. */
    public static final List<String> DRIVER_CANDIDATES = List.of("libcuda.so.1", "libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
            "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/lib64/libcuda.so.1");

    public static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTR_CC_MAJOR = 75;
    public static final int ATTR_CC_MINOR = 76;
    public static final int ATTR_MAX_SHARED_PER_BLOCK_OPTIN = 97;
    public static final int FUNC_ATTR_MAX_DYNAMIC_SHARED = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile CudaDriver instance;

    private final SymbolLookup lib;
    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceGetAttribute,
            cuDeviceTotalMem, cuDevicePrimaryCtxRetain, cuCtxSetCurrent, cuCtxSynchronize, cuStreamCreate, cuStreamDestroy,
            cuStreamSynchronize, cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime, cuEventDestroy,
            cuMemAlloc, cuMemFree, cuMemAllocAsync, cuMemFreeAsync, cuMemGetInfo, cuMemsetD8Async, cuMemcpyHtoDAsync,
            cuMemcpyDtoHAsync, cuMemcpyDtoDAsync, cuMemHostAlloc, cuMemFreeHost, cuModuleLoadData, cuModuleGetFunction,
            cuFuncSetAttribute, cuLaunchKernel, cuStreamBeginCapture, cuStreamEndCapture, cuGraphInstantiate, cuGraphLaunch,
            cuGraphDestroy, cuGraphExecDestroy, cuGetErrorName, cuGetErrorString, cuStreamIsCapturing;
    private volatile long context;
    private final ThreadLocal<Long> currentOnThread = new ThreadLocal<>();

    private CudaDriver(SymbolLookup lib) {
        this.lib = lib;
        cuInit = h(d(JAVA_INT), "cuInit");
        cuDriverGetVersion = h(d(ADDRESS), "cuDriverGetVersion");
        cuDeviceGetCount = h(d(ADDRESS), "cuDeviceGetCount");
        cuDeviceGet = h(d(ADDRESS, JAVA_INT), "cuDeviceGet");
        cuDeviceGetName = h(d(ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
        cuDeviceGetAttribute = h(d(ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetAttribute");
        cuDeviceTotalMem = h(d(ADDRESS, JAVA_INT), "cuDeviceTotalMem_v2", "cuDeviceTotalMem");
        cuDevicePrimaryCtxRetain = h(d(ADDRESS, JAVA_INT), "cuDevicePrimaryCtxRetain");
        cuCtxSetCurrent = h(d(JAVA_LONG), "cuCtxSetCurrent");
        cuCtxSynchronize = h(d(), "cuCtxSynchronize");
        cuStreamCreate = h(d(ADDRESS, JAVA_INT), "cuStreamCreate");
        cuStreamDestroy = h(d(JAVA_LONG), "cuStreamDestroy_v2", "cuStreamDestroy");
        cuStreamSynchronize = h(d(JAVA_LONG), "cuStreamSynchronize");
        cuEventCreate = h(d(ADDRESS, JAVA_INT), "cuEventCreate");
        cuEventRecord = h(d(JAVA_LONG, JAVA_LONG), "cuEventRecord");
        cuEventSynchronize = h(d(JAVA_LONG), "cuEventSynchronize");
        cuEventElapsedTime = h(d(ADDRESS, JAVA_LONG, JAVA_LONG), "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = h(d(JAVA_LONG), "cuEventDestroy_v2", "cuEventDestroy");
        cuMemAlloc = h(d(ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
        cuMemFree = h(d(JAVA_LONG), "cuMemFree_v2");
        cuMemAllocAsync = h(d(ADDRESS, JAVA_LONG, JAVA_LONG), "cuMemAllocAsync");
        cuMemFreeAsync = h(d(JAVA_LONG, JAVA_LONG), "cuMemFreeAsync");
        cuMemGetInfo = h(d(ADDRESS, ADDRESS), "cuMemGetInfo_v2");
        cuMemsetD8Async = h(d(JAVA_LONG, JAVA_BYTE, JAVA_LONG, JAVA_LONG), "cuMemsetD8Async");
        cuMemcpyHtoDAsync = h(d(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG), "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = h(d(ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG), "cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync = h(d(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), "cuMemcpyDtoDAsync_v2");
        cuMemHostAlloc = h(d(ADDRESS, JAVA_LONG, JAVA_INT), "cuMemHostAlloc");
        cuMemFreeHost = h(d(ADDRESS), "cuMemFreeHost");
        cuModuleLoadData = h(d(ADDRESS, ADDRESS), "cuModuleLoadData");
        cuModuleGetFunction = h(d(ADDRESS, JAVA_LONG, ADDRESS), "cuModuleGetFunction");
        cuFuncSetAttribute = h(d(JAVA_LONG, JAVA_INT, JAVA_INT), "cuFuncSetAttribute");
        cuLaunchKernel = h(d(JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
                "cuLaunchKernel");
        cuStreamBeginCapture = h(d(JAVA_LONG, JAVA_INT), "cuStreamBeginCapture_v2", "cuStreamBeginCapture");
        cuStreamEndCapture = h(d(JAVA_LONG, ADDRESS), "cuStreamEndCapture");
        cuGraphInstantiate = h(d(ADDRESS, JAVA_LONG, JAVA_LONG), "cuGraphInstantiateWithFlags");
        cuGraphLaunch = h(d(JAVA_LONG, JAVA_LONG), "cuGraphLaunch");
        cuGraphDestroy = h(d(JAVA_LONG), "cuGraphDestroy");
        cuGraphExecDestroy = h(d(JAVA_LONG), "cuGraphExecDestroy");
        cuStreamIsCapturing = h(d(JAVA_LONG, ADDRESS), "cuStreamIsCapturing");
        cuGetErrorName = h(d(JAVA_INT, ADDRESS), "cuGetErrorName");
        cuGetErrorString = h(d(JAVA_INT, ADDRESS), "cuGetErrorString");
    }

    /** The driver, loaded and cuInit'ed once; throws CudaException when libcuda cannot be loaded or initialised. */
    public static CudaDriver get() {
        CudaDriver d = instance;
        if (d == null) {
            synchronized (CudaDriver.class) {
                d = instance;
                if (d == null) {
                    d = new CudaDriver(NativeLibraries.load("the NVIDIA driver library", "liquid4j.cuda.driver", DRIVER_CANDIDATES));
                    d.check("cuInit", d.call(d.cuInit, 0));
                    instance = d;
                }
            }
        }
        return d;
    }

    private static FunctionDescriptor d(MemoryLayout... args) { return FunctionDescriptor.of(JAVA_INT, args); }

    private MethodHandle h(FunctionDescriptor fd, String... names) {
        for (String n : names) {
            var sym = lib.find(n);
            if (sym.isPresent()) return LINKER.downcallHandle(sym.get(), fd);
        }
        return null;  // reported when called: an old driver may lack e.g. cuMemAllocAsync
    }

    private int call(MethodHandle mh, Object... args) {
        if (mh == null) throw new CudaException("this NVIDIA driver lacks a required CUDA function (update the driver)");
        try {
            return (int) mh.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new CudaException("native call failed: " + t);
        }
    }

    /** Throws a CudaException for a non-zero CUresult. */
    void check(String fn, int rc) {
        if (rc != 0) throw new CudaException(fn, rc, errorName(rc), errorString(rc));
    }

    private int checked(String fn, MethodHandle mh, Object... args) {
        ensureCurrent();
        int rc = call(mh, args);
        check(fn, rc);
        return rc;
    }

    public String errorName(int rc) { return errorText(cuGetErrorName, rc, CudaErrors.driverName(rc)); }

    public String errorString(int rc) { return errorText(cuGetErrorString, rc, "(no message)"); }

    private String errorText(MethodHandle mh, int rc, String fallback) {
        if (mh == null) return fallback;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            if (call(mh, rc, p) != 0) return fallback;
            MemorySegment s = p.get(ADDRESS, 0);
            return s.equals(MemorySegment.NULL) ? fallback : s.reinterpret(4096).getString(0);
        }
    }

    // ---- device / context ----------------------------------------------------------------

    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDriverGetVersion", call(cuDriverGetVersion, v));
            return v.get(JAVA_INT, 0);
        }
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGetCount", call(cuDeviceGetCount, v));
            return v.get(JAVA_INT, 0);
        }
    }

    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGet", call(cuDeviceGet, v, ordinal));
            return v.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(256);
            check("cuDeviceGetName", call(cuDeviceGetName, v, 256, dev));
            return v.getString(0);
        }
    }

    public int attribute(int dev, int attr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cuDeviceGetAttribute", call(cuDeviceGetAttribute, v, attr, dev));
            return v.get(JAVA_INT, 0);
        }
    }

    public long totalMemory(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check("cuDeviceTotalMem", call(cuDeviceTotalMem, v, dev));
            return v.get(JAVA_LONG, 0);
        }
    }

    /** Retains the device's primary context and makes it current on this (and, lazily, every) thread. */
    public long usePrimaryContext(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check("cuDevicePrimaryCtxRetain", call(cuDevicePrimaryCtxRetain, v, dev));
            context = v.get(ADDRESS, 0).address();
        }
        ensureCurrent();
        return context;
    }

    /** Makes the retained context current on the calling thread (once per thread). */
    public void ensureCurrent() {
        long ctx = context;
        if (ctx == 0) return;
        Long cur = currentOnThread.get();
        if (cur != null && cur == ctx) return;
        check("cuCtxSetCurrent", call(cuCtxSetCurrent, ctx));
        currentOnThread.set(ctx);
    }

    public void synchronize() { checked("cuCtxSynchronize", cuCtxSynchronize); }

    // ---- streams and events --------------------------------------------------------------

    public long streamCreate(int flags) { return outHandle("cuStreamCreate", cuStreamCreate, flags); }

    public void streamDestroy(long s) { checked("cuStreamDestroy", cuStreamDestroy, s); }

    public void streamSynchronize(long s) { checked("cuStreamSynchronize", cuStreamSynchronize, s); }

    public long eventCreate(int flags) { return outHandle("cuEventCreate", cuEventCreate, flags); }

    public void eventRecord(long ev, long stream) { checked("cuEventRecord", cuEventRecord, ev, stream); }

    public void eventSynchronize(long ev) { checked("cuEventSynchronize", cuEventSynchronize, ev); }

    public void eventDestroy(long ev) { checked("cuEventDestroy", cuEventDestroy, ev); }

    /** Milliseconds between two recorded events. */
    public float eventElapsedMs(long start, long end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_FLOAT);
            checked("cuEventElapsedTime", cuEventElapsedTime, v, start, end);
            return v.get(JAVA_FLOAT, 0);
        }
    }

    // ---- memory --------------------------------------------------------------------------

    /** cuMemAlloc; returns the CUresult instead of throwing for OUT_OF_MEMORY so the allocator can retry. */
    int memAllocRaw(MemorySegment out, long bytes) {
        ensureCurrent();
        return call(cuMemAlloc, out, bytes);
    }

    /** cuMemAllocAsync (stream-ordered); -1 when the driver lacks it. */
    int memAllocAsyncRaw(MemorySegment out, long bytes, long stream) {
        if (cuMemAllocAsync == null) return -1;
        ensureCurrent();
        return call(cuMemAllocAsync, out, bytes, stream);
    }

    public void memFree(long ptr) { checked("cuMemFree", cuMemFree, ptr); }

    public void memFreeAsync(long ptr, long stream) { checked("cuMemFreeAsync", cuMemFreeAsync, ptr, stream); }

    /** {free, total} bytes of the current device. */
    public long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            checked("cuMemGetInfo", cuMemGetInfo, f, t);
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        }
    }

    public void memsetAsync(long ptr, int value, long bytes, long stream) {
        checked("cuMemsetD8Async", cuMemsetD8Async, ptr, (byte) value, bytes, stream);
    }

    public void copyHtoDAsync(long dst, MemorySegment src, long bytes, long stream) {
        checked("cuMemcpyHtoDAsync", cuMemcpyHtoDAsync, dst, src, bytes, stream);
    }

    public void copyDtoHAsync(MemorySegment dst, long src, long bytes, long stream) {
        checked("cuMemcpyDtoHAsync", cuMemcpyDtoHAsync, dst, src, bytes, stream);
    }

    public void copyDtoDAsync(long dst, long src, long bytes, long stream) {
        checked("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync, dst, src, bytes, stream);
    }

    /** Page-locked host memory (fast, truly asynchronous copies); free with {@link #freeHost}. */
    public MemorySegment hostAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            checked("cuMemHostAlloc", cuMemHostAlloc, v, bytes, 0);
            return v.get(ADDRESS, 0).reinterpret(bytes);
        }
    }

    public void freeHost(MemorySegment p) { checked("cuMemFreeHost", cuMemFreeHost, p); }

    // ---- modules and launches ------------------------------------------------------------

    public long moduleLoadData(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            checked("cuModuleLoadData", cuModuleLoadData, v, image);
            return v.get(ADDRESS, 0).address();
        }
    }

    public long moduleGetFunction(long module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            ensureCurrent();
            int rc = call(cuModuleGetFunction, v, module, a.allocateFrom(name));
            if (rc != 0) throw new CudaException("cuModuleGetFunction(" + name + ")", rc, errorName(rc), errorString(rc));
            return v.get(ADDRESS, 0).address();
        }
    }

    public void funcSetAttribute(long fn, int attr, int value) { checked("cuFuncSetAttribute", cuFuncSetAttribute, fn, attr, value); }

    public void launch(String name, long fn, long gx, int bx, int shmem, long stream, MemorySegment params) {
        ensureCurrent();
        int rc = call(cuLaunchKernel, fn, (int) gx, 1, 1, bx, 1, 1, shmem, stream, params, MemorySegment.NULL);
        if (rc != 0) throw new CudaException("cuLaunchKernel(" + name + ")", rc, errorName(rc), errorString(rc));
    }

    // ---- stream capture and graphs -------------------------------------------------------

    /** mode: 0 = global, 1 = thread-local, 2 = relaxed (CUstreamCaptureMode). */
    public void beginCapture(long stream, int mode) { checked("cuStreamBeginCapture", cuStreamBeginCapture, stream, mode); }

    /** True while the stream is being captured into a graph (synchronising calls are illegal then). */
    public boolean isCapturing(long stream) {
        if (cuStreamIsCapturing == null) return false;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            checked("cuStreamIsCapturing", cuStreamIsCapturing, stream, v);
            return v.get(JAVA_INT, 0) != 0;   // CU_STREAM_CAPTURE_STATUS_NONE = 0
        }
    }

    public long endCapture(long stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            checked("cuStreamEndCapture", cuStreamEndCapture, stream, v);
            return v.get(ADDRESS, 0).address();
        }
    }

    public long graphInstantiate(long graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            checked("cuGraphInstantiateWithFlags", cuGraphInstantiate, v, graph, 0L);
            return v.get(ADDRESS, 0).address();
        }
    }

    public void graphLaunch(long exec, long stream) { checked("cuGraphLaunch", cuGraphLaunch, exec, stream); }

    public void graphDestroy(long graph) { checked("cuGraphDestroy", cuGraphDestroy, graph); }

    public void graphExecDestroy(long exec) { checked("cuGraphExecDestroy", cuGraphExecDestroy, exec); }

    private long outHandle(String fn, MethodHandle mh, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            checked(fn, mh, v, flags);
            return v.get(ADDRESS, 0).address();
        }
    }
}
