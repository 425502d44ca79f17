package io.liquid4j.tensor;

/**
 * The composed reference of {@link F#attention}: plain tensor ops (batched matmuls, a
 * masked softmax) that every backend inherits through {@link Backend#attention} until it has a
 * kernel of its own, and the oracle the kernels are tested against. It materialises the
 * [B, Hkv, G, Lq, Lk] scores and a U8 visibility mask built on the device from index
 * comparisons (never on the host), so its memory is O(Lq·Lk): fine for decoding and tests, the
 * reason the CPU has a tiled kernel.
 *
 * <p>Shapes: q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, Dv] (any floating dtype and
 * strides), out [B, Hq, Lq, Dv] and lse [B, Hq, Lq] contiguous F32. Query head h uses KV head h / G, G = Hq / Hkv:
 * viewing q as [B, Hkv, G·…] makes each KV head one broadcast GEMM operand.
 */
final class AttentionReference {
    private AttentionReference() {}

    static void forward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Grouped g = Grouped.of(q, k, v);
            Tensor mask = visibility(spec, g);                                     // [B, 1, 1, Lq, Lk] U8
            Tensor capped = cappedScores(g, spec).capped;
            Tensor masked = capped.maskedFill(mask.eq(0), Double.NEGATIVE_INFINITY);
            Tensor m = masked.max(-1, true);
            Tensor mSafe = m.maskedFill(m.eq(Double.NEGATIVE_INFINITY), 0);     // rows that see nothing: exp(−∞ − 0) = 0
            Tensor e = masked.sub(mSafe).exp();
            Tensor sum = e.sum(-1, true);
            Tensor p = e.div(sum.clamp(Float.MIN_NORMAL, Double.POSITIVE_INFINITY));
            Tensor o = p.matmul(g.v);                                              // [B, Hkv, G, Lq, D]
            out.copyFrom(o.reshape(out.shape()));
            lse.copyFrom(mSafe.add(sum.log()).reshape(lse.shape()));
        }
    }

    static void backward(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out, Tensor lse,
                         Tensor gOut, Tensor gq, Tensor gk, Tensor gv) {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Grouped g = Grouped.of(q, k, v);
            Tensor mask = visibility(spec, g);
            Scores s = cappedScores(g, spec);
            Tensor l = lse.reshape(g.b, g.hkv, g.group, g.lq, 1);
            // P from the saved lse; hidden entries (and rows that see nothing, lse = −∞) are exactly 0
            Tensor p = Tensor.where(mask, s.capped.sub(l).exp(), Tensor.scalar(0, DType.F32, q.device()));
            int dv = out.size(3);
            Tensor dO = gOut.to(DType.F32).reshape(g.b, g.hkv, g.group, g.lq, dv);
            Tensor o = out.reshape(g.b, g.hkv, g.group, g.lq, dv);
            gv.copyFrom(p.transpose(-1, -2).matmul(dO).sum(2, false));
            Tensor dP = dO.matmul(g.v.transpose(-1, -2));
            Tensor rowDot = dO.mul(o).sum(-1, true);
            Tensor dS = p.mul(dP.sub(rowDot));
            if (spec.softcap() > 0) dS = dS.mul(s.tanh.mul(s.tanh).rsub(1));   // d(c·tanh(x/c))/dx = 1 − tanh²
            dS = dS.mul(spec.scale());
            gq.copyFrom(dS.matmul(g.k).reshape(gq.shape()));
            gk.copyFrom(dS.transpose(-1, -2).matmul(g.q).sum(2, false));
        }
    }

    /** F32 operands in grouped layout: q [B, Hkv, G, Lq, D], k and v [B, Hkv, 1, Lk, D]. */
    private record Grouped(Tensor q, Tensor k, Tensor v, int b, int hkv, int group, int lq, int lk, int d) {
        static Grouped of(Tensor q, Tensor k, Tensor v) {
            int b = q.size(0), hq = q.size(1), lq = q.size(2), d = q.size(3);
            int hkv = k.size(1), lk = k.size(2);
            int group = hq / hkv;
            Tensor qg = q.to(DType.F32).reshape(b, hkv, group, lq, d);
            Tensor kg = k.to(DType.F32).unsqueeze(2);
            Tensor vg = v.to(DType.F32).unsqueeze(2);
            return new Grouped(qg, kg, vg, b, hkv, group, lq, lk, d);
        }
    }

    /** capped = softcap·tanh(s/softcap) (or s) for s = scale·q·kᵀ; tanh kept for the backward. */
    private record Scores(Tensor capped, Tensor tanh) {}

    private static Scores cappedScores(Grouped g, AttentionSpec spec) {
        Tensor s = g.q.matmul(g.k.transpose(-1, -2)).mul(spec.scale());       // [B, Hkv, G, Lq, Lk]
        if (spec.softcap() <= 0) return new Scores(s, null);
        Tensor t = s.div(spec.softcap()).tanh();
        return new Scores(t.mul(spec.softcap()), t);
    }

    /** The spec's visibility as a U8 [B, 1, 1, Lq, Lk] tensor built from index comparisons on q's device. */
    static Tensor visibility(AttentionSpec spec, Grouped g) {
        return visibility(spec, g.b, g.lq, g.lk, g.q.device());
    }

    static Tensor visibility(AttentionSpec spec, int b, int lq, int lk, Device dev) {
        int off = spec.queryOffset(lq, lk);
        Tensor pos = Tensor.arange(off, off + lq, DType.I64, dev).reshape(1, lq, 1);
        Tensor key = Tensor.arange(0, lk, DType.I64, dev).reshape(1, 1, lk);
        Tensor zero = Tensor.scalar(0, DType.U8, dev);
        Tensor vis = Tensor.ones(DType.U8, dev, 1, 1, 1);
        if (spec.causal()) vis = and(vis, key.le(pos), zero);
        if (spec.window() > 0) vis = and(vis, pos.sub(key).lt(spec.window()), zero);
        if (spec.keyStart() != null) {
            Tensor start = hostInts(spec.keyStart(), dev).reshape(b, 1, 1);
            Tensor end = hostInts(spec.keyEnd(), dev).reshape(b, 1, 1);
            vis = and(vis, and(key.ge(start), key.lt(end), zero), zero);
        }
        if (spec.segments() != null) {
            int[] flat = new int[b * lk];
            for (int r = 0; r < b; r++) System.arraycopy(spec.segments()[r], 0, flat, r * lk, lk);
            Tensor seg = hostInts(flat, dev).reshape(b, lk);
            Tensor segQ = seg.narrow(1, off, lq).reshape(b, lq, 1);
            vis = and(vis, segQ.eq(seg.reshape(b, 1, lk)), zero);
        }
        // vis is [1 or B, 1 or Lq, 1 or Lk]: broadcast it, then view it with the head and group dims
        return vis.expand(b, lq, lk).unsqueeze(1).unsqueeze(1);
    }

    private static Tensor and(Tensor a, Tensor c, Tensor zero) {
        return Tensor.where(a, c, zero);
    }

    private static Tensor hostInts(int[] values, Device dev) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) l[i] = values[i];
        return Tensor.fromArray(l, l.length).to(dev);
    }
}
