package io.liquid4j.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes small llama2.c-format checkpoints with random weights, byte for byte in the layout of
 * spec/formats.md (as llama2.c's export.py --version 0 does), plus a matching tokenizer.bin.
 */
final class Llama2cFixture {
    private Llama2cFixture() {}

    /** The test model: dim 64, 2 layers, 8 heads over 2 KV heads (GQA), vocab 100. */
    static Llama2cHeader smallHeader(boolean shared) {
        return new Llama2cHeader(64, 96, 2, 8, 2, 100, 32, shared);
    }

    /** Writes a checkpoint with weights drawn from {@code seed}; returns its path. */
    static Path write(Path file, Llama2cHeader h, long seed) throws IOException {
        Random rnd = new Random(seed);
        long floats = (h.fileBytes() - Llama2cHeader.HEADER_BYTES) / Float.BYTES;
        ByteBuffer b = ByteBuffer.allocate((int) h.fileBytes()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(h.toBytes());
        int dim = h.dim(), hidden = h.hiddenDim(), layers = h.nLayers(), kvDim = h.kvDim();
        fill(b, rnd, (long) h.vocabSize() * dim, 0, 1.0);               // token embedding
        fill(b, rnd, (long) layers * dim, 1.0, 0.2);                     // rms_att: around 1
        fill(b, rnd, (long) layers * dim * dim, 0, 2 / Math.sqrt(dim));  // wq (large enough for sharp attention)
        fill(b, rnd, (long) layers * kvDim * dim, 0, 2 / Math.sqrt(dim)); // wk
        fill(b, rnd, (long) layers * kvDim * dim, 0, 1 / Math.sqrt(dim)); // wv
        fill(b, rnd, (long) layers * dim * dim, 0, 3 / Math.sqrt(dim));  // wo: strong residual updates, so a tied model does not just echo its input
        fill(b, rnd, (long) layers * dim, 1.0, 0.2);                     // rms_ffn
        fill(b, rnd, (long) layers * hidden * dim, 0, 1 / Math.sqrt(dim));    // w1
        fill(b, rnd, (long) layers * dim * hidden, 0, 3 / Math.sqrt(hidden)); // w2
        fill(b, rnd, (long) layers * hidden * dim, 0, 1 / Math.sqrt(dim));    // w3
        fill(b, rnd, dim, 1.0, 0.2);                                     // rms_final
        fill(b, rnd, (long) h.seqLen() * h.headSize(), 0, 1.0);          // the unused RoPE tables: junk on purpose
        if (!h.sharedClassifier()) fill(b, rnd, (long) h.vocabSize() * dim, 0, 1 / Math.sqrt(dim) * 4);
        if (b.hasRemaining()) throw new IllegalStateException("fixture layout is off by " + b.remaining() + " bytes");
        if (floats * Float.BYTES != b.capacity() - Llama2cHeader.HEADER_BYTES) throw new IllegalStateException("size");
        Files.write(file, b.array());
        return file;
    }

    private static void fill(ByteBuffer b, Random rnd, long n, double mean, double std) {
        for (long i = 0; i < n; i++) b.putFloat((float) (mean + std * rnd.nextGaussian()));
    }

    /** A tokenizer.bin with {@code vocab} tokens in llama2.c's format (scores descending with id). */
    static Path writeTokenizer(Path file, int vocab) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + vocab * 32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(16);
        for (int i = 0; i < vocab; i++) {
            byte[] s = (i == 0 ? "<unk>" : i == 1 ? "\n<s>\n" : i == 2 ? "\n</s>\n" : " tok" + i).getBytes(StandardCharsets.UTF_8);
            b.putFloat(-i).putInt(s.length).put(s);
        }
        Files.write(file, java.util.Arrays.copyOf(b.array(), b.position()));
        return file;
    }
}
