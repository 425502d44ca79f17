package io.liquid4j.tensor.cpu;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The CPU's attention ({@link io.liquid4j.tensor.Backend#attention} and its backward): tiled
 * kernels with memory O(T·D), never the T×T scores or a mask. Dispatch only; the kernels are
 * {@link AttentionForward} (tiles of queries), {@link AttentionDecode} (a few queries over a
 * long cache) and {@link AttentionBackward}.
 */
final class CpuAttention {
    private CpuAttention() {}

    /** Returns the bytes of heap the kernels allocated ({@link AttentionCall#scratchBytes}). */
    static long forward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse) {
        requireF32Contiguous("attention", out, lse);
        AttentionCall c = new AttentionCall(q, k, v, spec);
        float[] lseRows = c.floats(c.batch * c.hq * c.lq);
        AttentionRows o = new AttentionRows(out);
        if (AttentionDecode.suits(c)) AttentionDecode.run(c, o, lseRows);
        else if (AttentionDocuments.suits(c)) AttentionDocuments.forward(c, o, lseRows);
        else AttentionForward.run(c, o, lseRows);
        MemorySegment.copy(lseRows, 0, CpuElementwise.seg(lse), GemmDecode.F32_LE, lse.offset() * 4, lseRows.length);
        return c.scratchBytes();
    }

    /** Returns the bytes of heap the kernels allocated. */
    static long backward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse,
                         Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        requireF32Contiguous("attention backward", out, lse, gOut, gq, gk, gv);
        AttentionCall c = new AttentionCall(q, k, v, spec);
        float[] lseRows = c.floats(c.batch * c.hq * c.lq);
        MemorySegment.copy(CpuElementwise.seg(lse), GemmDecode.F32_LE, lse.offset() * 4, lseRows, 0, lseRows.length);
        AttentionRows o = new AttentionRows(out), g = new AttentionRows(gOut);
        AttentionRows gqRows = new AttentionRows(gq), gkRows = new AttentionRows(gk), gvRows = new AttentionRows(gv);
        if (AttentionDocuments.suits(c)) AttentionDocuments.backward(c, o, lseRows, g, gqRows, gkRows, gvRows);
        else AttentionBackward.run(c, o, lseRows, g, gqRows, gkRows, gvRows);
        return c.scratchBytes();
    }

    private static void requireF32Contiguous(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t.dtype() != DType.F32 || !t.isContiguous()) throw new IllegalArgumentException(op + " kernel needs contiguous F32 results, got " + t.describe());
        }
    }
}
