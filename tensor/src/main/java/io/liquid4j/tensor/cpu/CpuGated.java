package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.CpuElementwise.LE;
import static io.liquid4j.tensor.cpu.CpuElementwise.SP;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * SwiGLU, silu(gate) ⊙ up, forward and backward in one pass each over contiguous F32 tensors
 * (the gated MLP of Llama and Qwen2). Per element the operations and their rounding are those of
 * the composed unary SILU and binary MUL kernels (sigmoid, x·σ, then ·up; backward g·up first,
 * then times σ(1 + x(1 − σ)), and g·silu), so the results are the composed bits; only the
 * passes over memory are fewer: forward reads two tensors and writes one (the composed pair
 * writes and rereads silu(gate)), backward reads three and writes two (the composed three ops
 * read seven and write three).
 */
final class CpuGated {
    /** Elements per work item: a multiple of every vector length, so only the last item has a scalar tail. */
    private static final int CHUNK = 1 << 13;

    private CpuGated() {}

    static boolean handles(UnaryOp act, Tensor... ts) {
        if (act != UnaryOp.SILU) return false;
        for (Tensor t : ts) if (t.dtype() != DType.F32 || !t.isContiguous()) return false;
        return true;
    }

    static void forward(Tensor gate, Tensor up, Tensor out) {
        MemorySegment gs = CpuElementwise.seg(gate), us = CpuElementwise.seg(up), os = CpuElementwise.seg(out);
        long go = gate.offset() * 4, uo = up.offset() * 4, oo = out.offset() * 4;
        long n = out.numel();
        forChunks(n, (from, len) -> {
            int full = len - len % SP.length();
            siluTimesF32(gs, go + from * 4, us, uo + from * 4, os, oo + from * 4, full);
            for (int i = full; i < len; i++) {
                long at = (from + i) * 4;
                float a = (float) UnaryOp.SILU.apply(gs.get(Access.F, go + at), 0, 0);
                os.set(Access.F, oo + at, a * us.get(Access.F, uo + at));
            }
        });
    }

    static void backward(Tensor gate, Tensor up, Tensor g, Tensor gGate, Tensor gUp) {
        MemorySegment xs = CpuElementwise.seg(gate), us = CpuElementwise.seg(up), gs = CpuElementwise.seg(g),
                gxs = CpuElementwise.seg(gGate), gus = CpuElementwise.seg(gUp);
        long xo = gate.offset() * 4, uo = up.offset() * 4, go = g.offset() * 4, gxo = gGate.offset() * 4, guo = gUp.offset() * 4;
        forChunks(g.numel(), (from, len) -> {
            int full = len - len % SP.length();
            long b = from * 4;
            siluTimesBackwardF32(xs, xo + b, us, uo + b, gs, go + b, gxs, gxo + b, gus, guo + b, full);
            for (int i = full; i < len; i++) {
                long at = (from + i) * 4;
                float x = xs.get(Access.F, xo + at), gv = gs.get(Access.F, go + at);
                float a = (float) UnaryOp.SILU.apply(x, 0, 0);
                float gA = gv * us.get(Access.F, uo + at);
                gus.set(Access.F, guo + at, gv * a);
                gxs.set(Access.F, gxo + at, (float) (gA * UnaryOp.SILU.derivative(x, a, 0, 0)));
            }
        });
    }

    private interface Span {
        void run(long from, int len);
    }

    private static void forChunks(long n, Span body) {
        int items = Math.toIntExact((n + CHUNK - 1) / CHUNK);
        CpuThreads.parallelFor(items, 1, (s, e) -> {
            for (int it = s; it < e; it++) {
                long from = (long) it * CHUNK;
                body.run(from, (int) Math.min(CHUNK, n - from));
            }
        });
    }

    /** out = x·σ(x) · up over full floats (a multiple of the vector length); byte offsets. */
    private static void siluTimesF32(MemorySegment xs, long xb, MemorySegment us, long ub, MemorySegment os, long ob, int full) {
        for (int i = 0; i < full; i += SP.length()) {
            FloatVector v = FloatVector.fromMemorySegment(SP, xs, xb + i * 4L, LE);
            FloatVector a = v.mul(CpuElementwise.sigmoid(v));
            a.mul(FloatVector.fromMemorySegment(SP, us, ub + i * 4L, LE)).intoMemorySegment(os, ob + i * 4L, LE);
        }
    }

    /** gUp = g·silu(x); gGate = (g·up)·σ(1 + x(1 − σ)). */
    private static void siluTimesBackwardF32(MemorySegment xs, long xb, MemorySegment us, long ub, MemorySegment gs, long gb,
                                             MemorySegment gxs, long gxb, MemorySegment gus, long gub, int full) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < full; i += SP.length()) {
            long at = i * 4L;
            FloatVector v = FloatVector.fromMemorySegment(SP, xs, xb + at, LE), sg = CpuElementwise.sigmoid(v);
            FloatVector g = FloatVector.fromMemorySegment(SP, gs, gb + at, LE);
            g.mul(v.mul(sg)).intoMemorySegment(gus, gub + at, LE);
            FloatVector gA = g.mul(FloatVector.fromMemorySegment(SP, us, ub + at, LE));
            gA.mul(sg.mul(v.mul(one.sub(sg)).add(1f))).intoMemorySegment(gxs, gxb + at, LE);
        }
    }
}
