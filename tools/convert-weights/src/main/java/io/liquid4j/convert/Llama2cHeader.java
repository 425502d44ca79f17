package io.liquid4j.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The 7-int32 header of a legacy ("v0") llama2.c checkpoint and the byte layout it implies
 * (spec/formats.md). {@code vocabSize} is stored positive here; {@code sharedClassifier} says
 * whether the file's negative-vocab flag was absent.
 */
public record Llama2cHeader(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                            int seqLen, boolean sharedClassifier) {

    /** Bytes of the header: 7 little-endian int32. */
    public static final int HEADER_BYTES = 7 * Integer.BYTES;

    /** First int32 of llama2.c's versioned exports ("ak42"); legacy files start with dim instead. */
    private static final int VERSIONED_MAGIC = 0x616b3432;

    /** Reads and validates the header of {@code file} and checks the file size against it. */
    public static Llama2cHeader read(Path file) {
        long size;
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < HEADER_BYTES) {
                throw new ConversionException(file, "is " + size + " bytes, too short for the 28-byte llama2.c header");
            }
            while (b.hasRemaining()) ch.read(b, b.position());
        } catch (IOException e) {
            throw new ConversionException(file, "cannot read the llama2.c checkpoint: " + e.getMessage(), e);
        }
        b.flip();
        int dim = b.getInt(), hidden = b.getInt(), layers = b.getInt(), heads = b.getInt(), kvHeads = b.getInt(),
                vocab = b.getInt(), seqLen = b.getInt();
        if (dim == VERSIONED_MAGIC) {
            throw new ConversionException(file, "is a versioned llama2.c export (magic \"ak42\"); only the legacy v0 format"
                    + " (export.py --version 0, as the TinyStories .bin files) is supported");
        }
        Llama2cHeader h = new Llama2cHeader(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seqLen, vocab > 0);
        h.validate(file, vocab);
        long expected = h.fileBytes();
        if (size != expected) {
            throw new ConversionException(file, (size < expected ? "is truncated: " : "has trailing data: ") + "it is " + size
                    + " bytes but a llama2.c checkpoint with " + h.describe() + " is exactly " + expected + " bytes");
        }
        return h;
    }

    private void validate(Path file, int rawVocab) {
        require(file, dim > 0, "dim = " + dim + " must be positive");
        require(file, hiddenDim > 0, "hidden_dim = " + hiddenDim + " must be positive");
        require(file, nLayers > 0, "n_layers = " + nLayers + " must be positive");
        require(file, nHeads > 0, "n_heads = " + nHeads + " must be positive");
        require(file, nKvHeads > 0 && nKvHeads <= nHeads && nHeads % nKvHeads == 0,
                "n_kv_heads = " + nKvHeads + " must be positive and divide n_heads = " + nHeads);
        require(file, dim % nHeads == 0, "dim = " + dim + " is not divisible by n_heads = " + nHeads);
        require(file, (dim / nHeads) % 2 == 0, "head size dim/n_heads = " + dim / nHeads + " must be even for RoPE");
        require(file, rawVocab != 0 && rawVocab != Integer.MIN_VALUE, "vocab_size = " + rawVocab + " is invalid");
        require(file, seqLen > 0, "seq_len = " + seqLen + " must be positive");
    }

    private static void require(Path file, boolean ok, String fault) {
        if (!ok) throw new ConversionException(file, "bad llama2.c header: " + fault);
    }

    public int headSize() { return dim / nHeads; }

    public int kvDim() { return nKvHeads * headSize(); }

    /** Header values as the error messages and logs print them. */
    public String describe() {
        return "dim=" + dim + " hidden_dim=" + hiddenDim + " n_layers=" + nLayers + " n_heads=" + nHeads
                + " n_kv_heads=" + nKvHeads + " vocab_size=" + vocabSize + " seq_len=" + seqLen
                + (sharedClassifier ? " (shared classifier)" : " (separate classifier)");
    }

    // ---- byte layout: float32 arrays in file order, offsets in bytes from the file start ----

    public long embeddingOffset() { return HEADER_BYTES; }

    public long rmsAttOffset() { return embeddingOffset() + floats((long) vocabSize * dim); }

    public long wqOffset() { return rmsAttOffset() + floats((long) nLayers * dim); }

    public long wkOffset() { return wqOffset() + floats((long) nLayers * dim * dim); }

    public long wvOffset() { return wkOffset() + floats((long) nLayers * kvDim() * dim); }

    public long woOffset() { return wvOffset() + floats((long) nLayers * kvDim() * dim); }

    public long rmsFfnOffset() { return woOffset() + floats((long) nLayers * dim * dim); }

    public long w1Offset() { return rmsFfnOffset() + floats((long) nLayers * dim); }

    public long w2Offset() { return w1Offset() + floats((long) nLayers * hiddenDim * dim); }

    public long w3Offset() { return w2Offset() + floats((long) nLayers * dim * hiddenDim); }

    public long rmsFinalOffset() { return w3Offset() + floats((long) nLayers * hiddenDim * dim); }

    /** Where the two unused RoPE tables (seq_len·hs/2 floats each) start. */
    public long ropeTablesOffset() { return rmsFinalOffset() + floats(dim); }

    /** Where wcls starts; only meaningful when the classifier is not shared. */
    public long classifierOffset() { return ropeTablesOffset() + floats(2L * seqLen * (headSize() / 2)); }

    /** Exact size of a file with this header. */
    public long fileBytes() {
        return classifierOffset() + (sharedClassifier ? 0 : floats((long) vocabSize * dim));
    }

    /** The header as the file stores it (negative vocab when the classifier is separate). */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dim).putInt(hiddenDim).putInt(nLayers).putInt(nHeads).putInt(nKvHeads)
                .putInt(sharedClassifier ? vocabSize : -vocabSize).putInt(seqLen);
        return b.array();
    }

    private static long floats(long n) { return n * Float.BYTES; }
}
