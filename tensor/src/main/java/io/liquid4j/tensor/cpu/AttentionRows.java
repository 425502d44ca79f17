package io.liquid4j.tensor.cpu;

import static io.liquid4j.tensor.cpu.GemmDecode.F;
import static io.liquid4j.tensor.cpu.GemmDecode.V;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * One attention operand [B, H, L, X] as rows of X elements: any floating dtype, last-dim stride
 * 1, other strides free (a KV cache narrowed along L, q transposed from [B, L, H, D]). The
 * kernels never index the tensor elementwise; they decode whole rows into f32 heap tiles with
 * {@link #load}, so the micro-kernels only ever see float[] (what C2 compiles best, see
 * {@link GemmKernel}) and a BF16/F16 KV cache is decoded once per tile, outside the inner loops.
 */
final class AttentionRows {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    final int width;
    private final MemorySegment seg;
    private final DType type;
    private final long offset, sb, sh, sl;
    private final int bytes;

    AttentionRows(Tensor t) {
        if (t.dim() != 4) throw new IllegalArgumentException("attention kernel needs [B, H, L, X] operands, got " + t.describe());
        if (!t.dtype().isFloating()) throw new IllegalArgumentException("attention kernel needs floating operands, got " + t.describe());
        if (t.size(3) > 1 && t.stride(3) != 1) throw new IllegalArgumentException("attention kernel needs rows with stride 1, got " + t.describe());
        this.width = t.size(3);
        this.seg = CpuElementwise.seg(t);
        this.type = t.dtype();
        this.offset = t.offset();
        this.sb = t.stride(0);
        this.sh = t.stride(1);
        this.sl = t.stride(2);
        this.bytes = type.byteSize();
    }

    /** Decodes row (b, h, i) to f32 times scale into dst[at, at + width). */
    void load(int b, int h, int i, float[] dst, int at, float scale) {
        decode((offset + b * sb + h * sh + i * sl) * bytes, width, dst, at, scale);
    }

    /**
     * Decodes rows [i0, i0 + n) of (b, h) into dst as a row-major [n][width] tile (row stride
     * width). Rows that follow each other in memory (contiguous tensors, a KV cache narrowed
     * along L) are decoded as one run, one loop instead of one per row (each with its own
     * address arithmetic and segment checks).
     */
    void loadTile(int b, int h, int i0, int n, float[] dst, float scale) {
        if (sl == width || n == 1) {
            decode((offset + b * sb + h * sh + i0 * sl) * bytes, n * width, dst, 0, scale);
            return;
        }
        for (int r = 0; r < n; r++) load(b, h, i0 + r, dst, r * width, scale);
    }

    /**
     * {@link #loadTile} (unscaled) of rows [i0, i0 + n) of (b, h) from two operands at once — a
     * key tile and its value tile — their vectors decoded in turn where both are runs of the same
     * dtype and width: two memory streams in flight. Decoding the cache from DRAM one operand
     * after the other kept a core at ~10 GB/s; a CFG decode step at 1000 positions spent 5-10%
     * less in attention this way (BENCHMARKS.md). Four streams an operand measured slower.
     */
    static void loadTiles(AttentionRows x, AttentionRows y, int b, int h, int i0, int n, float[] dx, float[] dy) {
        if (x.type != y.type || x.width != y.width || x.sl != x.width || y.sl != y.width || n == 1) {
            x.loadTile(b, h, i0, n, dx, 1f);
            y.loadTile(b, h, i0, n, dy, 1f);
            return;
        }
        long ox = (x.offset + b * x.sb + h * x.sh + i0 * x.sl) * x.bytes, oy = (y.offset + b * y.sb + h * y.sh + i0 * y.sl) * y.bytes;
        int total = n * x.width, p = 0;
        if (x.type == DType.F32) {
            for (; p <= total - V; p += V) {
                FloatVector.fromMemorySegment(F, x.seg, ox + p * 4L, LE).intoArray(dx, p);
                FloatVector.fromMemorySegment(F, y.seg, oy + p * 4L, LE).intoArray(dy, p);
            }
        } else {
            for (; p <= total - V; p += V) {
                GemmDecode.loadInto(x.seg, ox + (long) p * x.bytes, x.type, dx, p);
                GemmDecode.loadInto(y.seg, oy + (long) p * y.bytes, y.type, dy, p);
            }
        }
        for (; p < total; p++) {
            dx[p] = GemmDecode.scalar(x.seg, ox + (long) p * x.bytes, x.type);
            dy[p] = GemmDecode.scalar(y.seg, oy + (long) p * y.bytes, y.type);
        }
    }

    private void decode(long off, int n, float[] dst, int at, float scale) {
        int p = 0;
        if (type == DType.F32) {
            // vector loads rather than MemorySegment.copy: a row is 32–128 floats, and the copy's
            // fixed cost (bounds, alignment and session checks) was ~7% of the attention's time;
            // x·1 is x, so an unscaled operand takes the same loop
            for (; p <= n - V; p += V) FloatVector.fromMemorySegment(F, seg, off + p * 4L, LE).mul(scale).intoArray(dst, at + p);
            for (; p < n; p++) dst[at + p] = seg.get(GemmDecode.F32_LE, off + p * 4L) * scale;
            return;
        }
        for (; p <= n - V; p += V) GemmDecode.loadInto(seg, off + (long) p * bytes, type, dst, at + p);
        for (; p < n; p++) dst[at + p] = GemmDecode.scalar(seg, off + (long) p * bytes, type);
        if (scale != 1f) {
            for (p = 0; p < n; p++) dst[at + p] *= scale;
        }
    }

    /**
     * Decodes rows [i0, i0 + n) of (b, h) transposed into dst as {@link AttentionKernel#NR}-wide
     * panels: element (row r, column p) at at + (r / NR)·width·NR + p·NR + r % NR, the B-operand
     * layout of the micro-kernels. Columns of the last panel past n are zero. row is a scratch
     * of at least width floats.
     */
    void loadPanels(int b, int h, int i0, int n, float[] dst, int at, float scale, float[] row) {
        int nr = AttentionKernel.NR, w = width;
        int panels = (n + nr - 1) / nr;
        for (int r = 0; r < panels * nr; r++) {
            int base = at + (r / nr) * w * nr + r % nr;
            if (r < n) {
                load(b, h, i0 + r, row, 0, scale);
                for (int p = 0; p < w; p++) dst[base + p * nr] = row[p];
            } else {
                for (int p = 0; p < w; p++) dst[base + p * nr] = 0f;
            }
        }
    }

    /** Writes src[at, at + width) (f32) to row (b, h, i) of a contiguous F32 tensor. */
    void store(int b, int h, int i, float[] src, int at) {
        if (type != DType.F32) throw new IllegalStateException("attention kernels write F32 only");
        long o = (offset + b * sb + h * sh + i * sl) * 4;
        int p = 0;
        for (; p <= width - V; p += V) FloatVector.fromArray(F, src, at + p).intoMemorySegment(seg, o + p * 4L, LE);
        for (; p < width; p++) seg.set(GemmDecode.F32_LE, o + p * 4L, src[at + p]);
    }
}
