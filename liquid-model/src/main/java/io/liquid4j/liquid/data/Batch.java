package io.liquid4j.liquid.data;

/**
 * One batch of training rows. inputIds and labels are row-major [rows·length]; labels are
 * HF-aligned with the ids (−100 = not counted; the trainer shifts: position t predicts
 * labels[t + 1]). attentionMask [rows][length] is null without padding; segments [rows][length]
 * are document ids of packed rows, or null. countedTokens: positions whose target counts.
 */
public record Batch(int rows, int length, long[] inputIds, long[] labels, int[][] attentionMask, int[][] segments, int countedTokens) {}
