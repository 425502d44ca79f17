package io.liquid4j.tensor;

/**
 * A Linear weight W [n, k] in a block format ({@link QuantFormat}): codes U8 [n, rowBytes] and
 * F16 scales [n, k/32], both contiguous, on one device. Used only for y = x·Wᵀ
 * ({@link F#linear(Tensor, QuantizedWeight, Tensor)}); {@link #dequantize} gives the F32 weight.
 * The tensors belong to the caller (close them, or let their scope do it).
 */
public final class QuantizedWeight {
    private final QuantFormat format;
    private final Tensor codes, scales;
    private final int rows, cols;

    /**
     * Wraps existing tensors, checking their shapes and dtypes against the format.
     *
     * @param codes  U8 [rows, format.rowBytes(cols)]
     * @param scales F16 [rows, cols / 32]
     */
    public QuantizedWeight(QuantFormat format, Tensor codes, Tensor scales, int rows, int cols) {
        if (cols <= 0 || cols % QuantFormat.BLOCK != 0) {
            throw new IllegalArgumentException(format.id() + " weights need in-features that are a positive multiple of " + QuantFormat.BLOCK + ", got " + cols);
        }
        if (codes.dtype() != DType.U8 || codes.dim() != 2 || codes.size(0) != rows || codes.size(1) != format.rowBytes(cols) || !codes.isContiguous()) {
            throw new IllegalArgumentException(format.id() + " codes of a [" + rows + ", " + cols + "] weight must be contiguous U8 [" + rows + ", "
                    + format.rowBytes(cols) + "], got " + codes.describe());
        }
        if (scales.dtype() != DType.F16 || scales.dim() != 2 || scales.size(0) != rows || scales.size(1) != cols / QuantFormat.BLOCK || !scales.isContiguous()) {
            throw new IllegalArgumentException(format.id() + " scales of a [" + rows + ", " + cols + "] weight must be contiguous F16 [" + rows + ", "
                    + cols / QuantFormat.BLOCK + "], got " + scales.describe());
        }
        if (!codes.device().equals(scales.device())) throw new IllegalArgumentException("quantized codes on " + codes.device() + ", scales on " + scales.device());
        this.format = format;
        this.codes = codes;
        this.scales = scales;
        this.rows = rows;
        this.cols = cols;
    }

    public QuantFormat format() { return format; }

    public Tensor codes() { return codes; }

    public Tensor scales() { return scales; }

    /** Out-features n. */
    public int rows() { return rows; }

    /** In-features k. */
    public int cols() { return cols; }

    public Device device() { return codes.device(); }

    /** Bytes of codes and scales. */
    public long byteSize() { return codes.numel() + 2 * scales.numel(); }

    /** Rows [from, from + count) as a view (no copy): the image-code rows of an LM head. */
    public QuantizedWeight narrowRows(int from, int count) {
        return new QuantizedWeight(format, codes.narrow(0, from, count), scales.narrow(0, from, count), count, cols);
    }

    /** A copy on device (this one if already there). */
    public QuantizedWeight to(Device device) {
        if (device.equals(device())) return this;
        return new QuantizedWeight(format, codes.to(device), scales.to(device), rows, cols);
    }

    /** Marks both tensors unscoped (long-lived, closed by their owner). */
    public QuantizedWeight unscoped() {
        codes.unscoped();
        scales.unscoped();
        return this;
    }

    /**
     * Quantizes w [n, k] (any floating dtype, any device; computed on the host in F32) into
     * format, on w's device. Scales are rounded to F16 first and the codes computed against the
     * rounded scale, so dequantization reproduces the intended grid. A non-finite weight is an error.
     */
    public static QuantizedWeight quantize(Tensor w, QuantFormat format) {
        if (w.dim() != 2 || !w.dtype().isFloating()) throw new IllegalArgumentException("quantize needs a floating 2-D weight [out, in], got " + w.describe());
        int n = w.size(0), k = w.size(1);
        if (k % QuantFormat.BLOCK != 0) {
            throw new IllegalArgumentException("quantize: " + format.id() + " needs in-features that are a multiple of " + QuantFormat.BLOCK + ", got " + k);
        }
        float[] v = w.to(DType.F32).contiguous().toFloatArray();
        int blocks = k / QuantFormat.BLOCK;
        int rowBytes = (int) format.rowBytes(k);
        byte[] q = new byte[n * rowBytes];
        short[] s = new short[n * blocks];
        quantizeRows(v, n, k, format, q, s);
        byte[] sb = new byte[2 * s.length];
        for (int i = 0; i < s.length; i++) {
            sb[2 * i] = (byte) s[i];
            sb[2 * i + 1] = (byte) (s[i] >> 8);
        }
        Tensor codes = Tensor.fromArray(q, n, rowBytes);
        Tensor scales = Tensor.fromBytes(sb, DType.F16, Device.CPU, n, blocks);
        return new QuantizedWeight(format, codes, scales, n, k).to(w.device());
    }

    /**
     * Quantizes rows × k F32 values (row-major) into format: codes[rows · rowBytes] and F16 scale
     * bits[rows · k/32] (what {@link #quantize} and the file converter both use). Scales are
     * rounded to F16 first and the codes computed against the rounded scale, so dequantization
     * reproduces the intended grid; a non-finite value is an error naming its position.
     */
    public static void quantizeRows(float[] v, int n, int k, QuantFormat format, byte[] q, short[] s) {
        int blocks = k / QuantFormat.BLOCK;
        int rowBytes = (int) format.rowBytes(k);
        for (int r = 0; r < n; r++) {
            for (int b = 0; b < blocks; b++) {
                int at = r * k + b * QuantFormat.BLOCK;
                float amax = 0, m = 0;
                for (int i = 0; i < QuantFormat.BLOCK; i++) {
                    float x = v[at + i];
                    if (!Float.isFinite(x)) throw new IllegalArgumentException("quantize: non-finite weight " + x + " at [" + r + ", " + (b * QuantFormat.BLOCK + i) + "]");
                    if (Math.abs(x) > amax) { amax = Math.abs(x); m = x; }
                }
                float d = format == QuantFormat.Q8_0 ? amax / 127f : m / -8f;
                if (d == 0) d = 0f;   // an all-zero block: +0, not the −0 of 0 / −8
                short dBits = Float.floatToFloat16(d);
                float dq = Float.float16ToFloat(dBits);
                s[r * blocks + b] = dBits;
                float inv = dq == 0 ? 0 : 1f / dq;
                int base = r * rowBytes + b * (QuantFormat.BLOCK * format.bits() / 8);
                for (int i = 0; i < QuantFormat.BLOCK; i++) {
                    float x = v[at + i] * inv;
                    if (format == QuantFormat.Q8_0) {
                        q[base + i] = (byte) Math.clamp(Math.round(x), -127, 127);
                    } else {
                        int c = Math.clamp(Math.round(x) + 8, 0, 15);
                        int j = i % 16;
                        q[base + j] = (byte) (i < 16 ? (q[base + j] & 0xF0) | c : (q[base + j] & 0x0F) | (c << 4));
                    }
                }
            }
        }
    }

    /** W as F32 [n, k] on this weight's device (decoded on the host). */
    public Tensor dequantize() {
        int[] q = codes.to(Device.CPU).toIntArray();          // 0..255
        float[] s = scales.to(Device.CPU).toFloatArray();
        int blocks = cols / QuantFormat.BLOCK, rowBytes = (int) format.rowBytes(cols);
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                float d = s[r * blocks + b];
                int base = r * rowBytes + b * (QuantFormat.BLOCK * format.bits() / 8);
                for (int i = 0; i < QuantFormat.BLOCK; i++) {
                    int c = format == QuantFormat.Q8_0 ? (byte) q[base + i] : i < 16 ? (q[base + i] & 0x0F) - 8 : ((q[base + i - 16] >> 4) & 0x0F) - 8;
                    out[r * cols + b * QuantFormat.BLOCK + i] = d * c;
                }
            }
        }
        return Tensor.fromArray(out, rows, cols).to(device());
    }
}
