/**
 * Training data for Liquid: JSONL records (text, caption + VQGAN codes, or prebuilt ids) read
 * into {@link io.liquid4j.liquid.TrainingSequence}s, and batches of them, padded or packed, in a
 * seeded order that can be saved and resumed exactly.
 */
package io.liquid4j.liquid.data;
