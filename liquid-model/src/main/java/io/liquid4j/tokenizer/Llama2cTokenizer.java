package io.liquid4j.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c {@code tokenizer.bin}: int32 max_token_length, then per token a float32 score,
 * an int32 byte length and the bytes (little-endian). The token count is not stored: records
 * run to the end of the file.
 *
 * <p>Encoding is run.c's {@code encode()}: BOS (id 1) when asked, a dummy-prefix " " token when
 * the text is not empty, one token per UTF-8 character (its bytes as ids byte + 3 when the
 * character is not in the vocabulary), then repeatedly the adjacent pair whose concatenation is
 * a vocabulary entry with the highest score is merged (the leftmost on ties; scores must beat
 * -1e10), the BOS included in the scan as in run.c. EOS (id 2) is never added (run.c's
 * generate passes eos = 0). Where run.c's binary search could find either of two equal
 * entries, the lower id is used.
 *
 * <p>Decoding is run.c's {@code decode()}: a piece after BOS loses one leading space, and
 * {@code <0xXX>} pieces stand for their byte; the bytes are then read as UTF-8.
 */
public final class Llama2cTokenizer implements Tokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;
    /** run.c's starting best score: merges scoring at or below it never happen. */
    private static final float NO_SCORE = -1e10f;

    private final String source;
    private final int maxTokenLength;
    private final byte[][] pieces;
    private final float[] scores;
    /** Piece bytes as a Latin-1 string (one char per byte) → lowest id with those bytes. */
    private final Map<String, Integer> ids;

    /**
     * A tokenizer from its parts (the arrays are kept, not copied).
     *
     * @param source names the tokenizer in error messages, usually its file
     */
    public Llama2cTokenizer(String source, int maxTokenLength, byte[][] pieces, float[] scores) {
        if (pieces.length != scores.length) throw new IllegalArgumentException("pieces and scores differ in length");
        this.source = source;
        this.maxTokenLength = maxTokenLength;
        this.pieces = pieces;
        this.scores = scores;
        this.ids = HashMap.newHashMap(pieces.length);
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(latin1(pieces[i], pieces[i].length), i);
    }

    public static Llama2cTokenizer load(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        String name = file.toString();
        if (buf.remaining() < 4) throw new TokenizerFormatException(name + ": too short for a llama2.c tokenizer (no max_token_length)");
        int maxTokenLength = buf.getInt();
        if (maxTokenLength <= 0 || maxTokenLength > 1 << 16) {
            throw new TokenizerFormatException(name + ": max_token_length " + maxTokenLength + " is not a plausible llama2.c tokenizer header");
        }
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (buf.hasRemaining()) {
            int id = pieces.size();
            if (buf.remaining() < 8) throw new TokenizerFormatException(name + ": token " + id + " is cut off (score and length need 8 bytes)");
            float score = buf.getFloat();
            int length = buf.getInt();
            if (length < 0 || length > buf.remaining()) {
                throw new TokenizerFormatException(name + ": token " + id + " has byte length " + length + " but "
                        + buf.remaining() + " bytes are left in the file");
            }
            byte[] piece = new byte[length];
            buf.get(piece);
            pieces.add(piece);
            scores.add(score);
        }
        if (pieces.size() < 3 + 256) {
            throw new TokenizerFormatException(name + ": holds " + pieces.size() + " tokens; a llama2.c tokenizer has "
                    + "<unk>, <s>, </s> and 256 byte tokens before the others");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new Llama2cTokenizer(name, maxTokenLength, pieces.toArray(byte[][]::new), s);
    }

    @Override public int[] encode(String text, boolean addSpecialTokens) {
        byte[] bytes = Utf8.encode(text);
        IntList tokens = new IntList(bytes.length + 2);
        if (addSpecialTokens) tokens.add(BOS);
        if (bytes.length > 0) {
            Integer space = ids.get(" ");
            if (space == null) throw new TokenizerFormatException(source + ": has no \" \" token for the dummy prefix");
            tokens.add(space);
        }
        // One token per UTF-8 character; run.c caps a character at 4 bytes.
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if ((bytes[i] & 0xC0) != 0x80) start = i;
            boolean continues = i + 1 < bytes.length && (bytes[i + 1] & 0xC0) == 0x80;
            if (continues && i + 1 - start < 4) continue;
            Integer id = ids.get(latin1(bytes, start, i + 1));
            if (id != null) {
                tokens.add(id);
            } else {
                for (int j = start; j <= i; j++) tokens.add((bytes[j] & 0xFF) + 3);
            }
            start = i + 1;
        }
        return mergeByScore(tokens.toArray());
    }

    /** run.c's merge loop; each pair's best merge is kept in arrays so a pass is a scan of floats. */
    private int[] mergeByScore(int[] tokens) {
        int n = tokens.length;
        float[] pairScore = new float[Math.max(0, n - 1)];
        int[] pairId = new int[pairScore.length];
        for (int i = 0; i + 1 < n; i++) scorePair(tokens, i, pairScore, pairId);
        while (n > 1) {
            float best = NO_SCORE;
            int bestIndex = -1;
            for (int i = 0; i + 1 < n; i++) {
                if (pairScore[i] > best) {
                    best = pairScore[i];
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) break;
            tokens[bestIndex] = pairId[bestIndex];
            System.arraycopy(tokens, bestIndex + 2, tokens, bestIndex + 1, n - bestIndex - 2);
            System.arraycopy(pairScore, bestIndex + 1, pairScore, bestIndex, n - bestIndex - 2);
            System.arraycopy(pairId, bestIndex + 1, pairId, bestIndex, n - bestIndex - 2);
            n--;
            if (bestIndex > 0) scorePair(tokens, bestIndex - 1, pairScore, pairId);
            if (bestIndex + 1 < n) scorePair(tokens, bestIndex, pairScore, pairId);
        }
        return Arrays.copyOf(tokens, n);
    }

    private void scorePair(int[] tokens, int i, float[] pairScore, int[] pairId) {
        byte[] a = pieces[tokens[i]];
        byte[] b = pieces[tokens[i + 1]];
        char[] joined = new char[a.length + b.length];
        for (int k = 0; k < a.length; k++) joined[k] = (char) (a[k] & 0xFF);
        for (int k = 0; k < b.length; k++) joined[a.length + k] = (char) (b[k] & 0xFF);
        Integer id = ids.get(new String(joined));
        pairScore[i] = id == null ? Float.NEGATIVE_INFINITY : scores[id];
        pairId[i] = id == null ? -1 : id;
    }

    @Override public String decode(int[] tokenIds, boolean skipSpecialTokens) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < tokenIds.length; i++) {
            int id = tokenIds[i];
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source
                        + " (ids run from 0 to " + (pieces.length - 1) + ")");
            }
            if (skipSpecialTokens && (id == BOS || id == EOS)) continue;
            byte[] piece = pieces[id];
            int from = i > 0 && tokenIds[i - 1] == BOS && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            int b = byteToken(piece);
            if (b >= 0) out.write(b);
            else out.write(piece, from, piece.length - from);
        }
        return Utf8.decodeLossy(out.toByteArray(), out.size());
    }

    /** The byte of a piece run.c's {@code sscanf(piece, "<0x%02hhX>", ...)} accepts, or -1. */
    private static int byteToken(byte[] piece) {
        if (piece.length < 4 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x') return -1;
        int value = 0;
        int digits = 0;
        for (int k = 3; k < piece.length && digits < 2; k++, digits++) {
            int d = Character.digit(piece[k], 16);
            if (d < 0) break;
            value = value << 4 | d;
        }
        return digits == 0 ? -1 : value;
    }

    @Override public int vocabSize() {
        return pieces.length;
    }

    @Override public int tokenToId(String token) {
        byte[] bytes = Utf8.encode(token);
        Integer id = ids.get(latin1(bytes, bytes.length));
        return id == null ? -1 : id;
    }

    @Override public String idToToken(int id) {
        return id >= 0 && id < pieces.length ? new String(pieces[id], StandardCharsets.UTF_8) : null;
    }

    @Override public int bosId() {
        return BOS;
    }

    @Override public int eosId() {
        return EOS;
    }

    /** The longest piece in bytes, from the file header. */
    public int maxTokenLength() {
        return maxTokenLength;
    }

    /** The merge score of a token. */
    public float score(int id) {
        return scores[id];
    }

    /** The raw bytes of a token (a copy). */
    public byte[] pieceBytes(int id) {
        return pieces[id].clone();
    }

    @Override public String toString() {
        return "Llama2cTokenizer[" + source + ", " + pieces.length + " tokens]";
    }

    private static String latin1(byte[] bytes, int length) {
        return latin1(bytes, 0, length);
    }

    private static String latin1(byte[] bytes, int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }
}
