package io.liquid4j.liquid;

import io.liquid4j.tokenizer.Tokenizer;

/**
 * The chat turn formats of the supported families, recognised from the tokenizer's special
 * tokens. A user turn is {@code open + message + close}, followed by the assistant header; the
 * image of a Liquid chat sits at the start of the first user message as {@code <boi>codes<eoi>\n}.
 * <ul>
 *   <li>Gemma: {@code <start_of_turn>user\nMSG<end_of_turn>\n<start_of_turn>model\n} (spec/liquid.md)</li>
 *   <li>Llama 3: {@code <|start_header_id|>user<|end_header_id|>\n\nMSG<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n}</li>
 *   <li>Qwen2 (ChatML): {@code <|im_start|>user\nMSG<|im_end|>\n<|im_start|>assistant\n}, after the
 *       default system turn its template adds when none is given</li>
 * </ul>
 */
public enum ChatTemplate {
    GEMMA("<start_of_turn>", "<start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n", "<end_of_turn>", "\n", ""),
    LLAMA3("<|start_header_id|>", "<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            "<|eot_id|>", "", ""),
    QWEN2("<|im_start|>", "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>", "\n",
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");

    private final String marker, open, close, endOfTurn, between, firstPrefix;

    ChatTemplate(String marker, String open, String close, String endOfTurn, String between, String firstPrefix) {
        this.marker = marker;
        this.open = open;
        this.close = close;
        this.endOfTurn = endOfTurn;
        this.between = between;
        this.firstPrefix = firstPrefix;
    }

    /** The template of this tokenizer's family; a clear error when none of the known ones fits. */
    public static ChatTemplate of(Tokenizer tokenizer) {
        for (ChatTemplate t : values()) if (tokenizer.tokenToId(t.marker) >= 0) return t;
        throw new IllegalArgumentException("the tokenizer has none of the chat tokens of Gemma (<start_of_turn>), Llama 3 (<|start_header_id|>) "
                + "or Qwen2 (<|im_start|>): no chat template to use");
    }

    /** Text of the first turn (without BOS): the family's prefix, then the user turn with imageText before the message. */
    String first(String imageText, String message) {
        return firstPrefix + open + imageText + message + close;
    }

    /** Text of a later turn, continuing after the assistant's end-of-turn token. */
    String next(String message) {
        return between + open + message + close;
    }

    /** The token that ends an assistant turn (a stop id for generation). */
    public String endOfTurn() { return endOfTurn; }
}
