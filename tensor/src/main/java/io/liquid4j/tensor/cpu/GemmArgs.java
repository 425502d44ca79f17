package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * The operands of one {@link Gemm#gemm} call, passed as one value between the GEMM helpers.
 * parallel is false when a segment is confined to the calling thread: workers could not touch it.
 * bRows, when not null, gives the byte offset of each row p of a [k, n] B (an "indirect" B whose
 * rows lie anywhere in b: the implicit-im2col convolution); bOff and ldb are then unused.
 */
record GemmArgs(int m, int n, int k,
                MemorySegment a, long aOff, int lda, boolean transA,
                MemorySegment b, long bOff, int ldb, boolean transB, DType bType,
                MemorySegment c, long cOff, int ldc, boolean accumulate, boolean parallel, long[] bRows) {

    /** {@link CpuThreads#parallelFor} when the segments allow it, else the whole range on this thread. */
    void forRanges(int count, int minGrain, CpuThreads.RangeBody body) {
        if (parallel) CpuThreads.parallelFor(count, minGrain, body);
        else if (count > 0) body.run(0, count);
    }

    /** {@link CpuThreads#parallelForChunks} when the segments allow it, else the whole range on this thread. */
    void forChunks(int count, int chunk, CpuThreads.RangeBody body) {
        if (parallel) CpuThreads.parallelForChunks(count, chunk, body);
        else if (count > 0) body.run(0, count);
    }

    /** Byte offset of op(A)(i, p). */
    long aAt(int i, int p) {
        long index = transA ? (long) p * lda + i : (long) i * lda + p;
        return aOff + index * Float.BYTES;
    }

    /** Byte offset of op(B)(p, j). */
    long bAt(int p, int j) {
        if (bRows != null) return bRows[p] + (long) j * bType.byteSize();
        long index = transB ? (long) j * ldb + p : (long) p * ldb + j;
        return bOff + index * bType.byteSize();
    }

    /** Byte offset of C(i, j). */
    long cAt(int i, int j) {
        return cOff + ((long) i * ldc + j) * Float.BYTES;
    }
}
