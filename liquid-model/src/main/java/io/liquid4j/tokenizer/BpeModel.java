package io.liquid4j.tokenizer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding of one pre-tokenized word into token ids, as Hugging Face's BPE model does.
 *
 * <p>The word starts as one symbol per code point (with {@code continuingSubwordPrefix} before
 * every symbol but the first and {@code endOfWordSuffix} after the last, when set). A code point
 * missing from the vocabulary becomes its UTF-8 bytes as {@code <0xXX>} tokens when
 * {@code byteFallback} is on and all of them exist, else the unknown token (consecutive unknowns
 * fused into one with {@code fuseUnk}); without an unknown token it is dropped, as in HF. Then
 * merges are applied lowest rank first, the leftmost pair on ties, from a heap of
 * (rank, position) entries: O(n log n) in the word length, which matters for Gemma, whose whole
 * text section is one "word". With {@code ignoreMerges} (Llama 3) a word that is itself a
 * vocabulary entry is emitted whole.
 */
final class BpeModel {
    /** Words shorter than this are cached; longer ones rarely repeat. */
    private static final int MAX_CACHED_WORD_LENGTH = 256;
    private static final int CACHE_CAPACITY = 20_000;

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    /** Id of {@code <0xXX>} per byte, or null when byte fallback is off. Missing tokens are -1. */
    private final int[] byteTokenIds;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(Map<String, Integer> vocab, MergeTable merges, int unkId, boolean fuseUnk, boolean byteFallback,
             boolean ignoreMerges, String continuingSubwordPrefix, String endOfWordSuffix) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        this.continuingSubwordPrefix = continuingSubwordPrefix == null || continuingSubwordPrefix.isEmpty() ? null : continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix == null || endOfWordSuffix.isEmpty() ? null : endOfWordSuffix;
        if (byteFallback) {
            byteTokenIds = new int[256];
            for (int b = 0; b < 256; b++) byteTokenIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        } else {
            byteTokenIds = null;
        }
    }

    /** Appends the ids of one word. */
    void encode(String word, IntList out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        boolean cacheable = word.length() < MAX_CACHED_WORD_LENGTH;
        if (cacheable) {
            int[] cached = cache.get(word);
            if (cached != null) {
                out.addAll(cached);
                return;
            }
        }
        int[] ids = mergeWord(initialSymbols(word));
        if (cacheable) {
            if (cache.size() >= CACHE_CAPACITY) cache.clear();
            cache.put(word, ids);
        }
        out.addAll(ids);
    }

    /** One symbol per code point (or per byte / fused unknown), before any merge. */
    private IntList initialSymbols(String word) {
        IntList symbols = new IntList(word.length());
        boolean lastWasUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int end = i + Character.charCount(cp);
            String s = word.substring(i, end);
            if (continuingSubwordPrefix != null && i > 0) s = continuingSubwordPrefix + s;
            if (endOfWordSuffix != null && end == word.length()) s = s + endOfWordSuffix;
            i = end;
            Integer id = vocab.get(s);
            if (id != null) {
                symbols.add(id);
                lastWasUnk = false;
                continue;
            }
            if (byteTokenIds != null && addByteTokens(s, symbols)) {
                lastWasUnk = false;
                continue;
            }
            if (unkId < 0) continue; // no unknown token: HF drops the character
            if (!(fuseUnk && lastWasUnk)) symbols.add(unkId);
            lastWasUnk = true;
        }
        return symbols;
    }

    /** Appends {@code <0xXX>} ids for the UTF-8 bytes of s; false (and nothing added) if one is missing. */
    private boolean addByteTokens(String s, IntList symbols) {
        byte[] bytes = Utf8.encode(s);
        for (byte b : bytes) if (byteTokenIds[b & 0xFF] < 0) return false;
        for (byte b : bytes) symbols.add(byteTokenIds[b & 0xFF]);
        return true;
    }

    /** Applies merges to the symbols (a linked list over their positions) and returns the final ids. */
    private int[] mergeWord(IntList symbols) {
        int n = symbols.size();
        if (n <= 1) return symbols.toArray();
        int[] id = symbols.toArray();
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongMinHeap queue = new LongMinHeap(n);
        for (int i = 0; i + 1 < n; i++) offer(queue, id, i, i + 1);
        while (!queue.isEmpty()) {
            long entry = queue.pop();
            int rank = (int) (entry >>> 32);
            int pos = (int) entry;
            // Stale entries: the left symbol was merged away, or the pair at pos changed. A pair of
            // ids has one rank, so an unchanged rank means the same, still valid pair.
            if (id[pos] < 0) continue;
            int right = next[pos];
            if (right < 0) continue;
            int slot = merges.find(id[pos], id[right]);
            if (slot < 0 || merges.rankAt(slot) != rank) continue;
            id[pos] = merges.mergedIdAt(slot);
            id[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) offer(queue, id, prev[pos], pos);
            if (next[pos] >= 0) offer(queue, id, pos, next[pos]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) out.add(id[i]);
        return out.toArray();
    }

    private void offer(LongMinHeap queue, int[] id, int left, int right) {
        int slot = merges.find(id[left], id[right]);
        if (slot >= 0) queue.push((long) merges.rankAt(slot) << 32 | left);
    }
}
