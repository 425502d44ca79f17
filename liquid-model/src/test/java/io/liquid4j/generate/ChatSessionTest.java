package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.liquid4j.nn.transformer.CausalLM;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Two turns through one cache give the reply a from-scratch generation over the whole transcript gives. */
class ChatSessionTest {
    @Test
    void secondTurnEqualsGenerationOverTheTranscript() {
        CausalLM m = TinyModels.random(TinyModels.LLAMA_CONFIG, 13);
        int stop = 39;
        int[] turn1 = {5, 17, 3, 8}, turn2 = {9, 2, 11};
        try (ChatSession chat = new ChatSession(m, SamplingParams.GREEDY, new int[] {stop}, 40, 64)) {
            int[] reply1 = chat.send(turn1, 5, TokenListener.NONE);
            int[] reply2 = chat.send(turn2, 5, TokenListener.NONE);
            // the transcript: turn 1, reply 1, the token that ended it (stop, or reply 1's last when cut), turn 2
            int[] transcript = concat(turn1, reply1.length == 5 ? new int[0] : reply1, reply1.length == 5 ? reply1 : new int[] {stop}, turn2);
            int[] expected = new TextGenerator(m).generate(List.of(transcript), new GenerationConfig(5, SamplingParams.GREEDY, new int[] {stop}, 0),
                    TokenListener.NONE).tokens().getFirst();
            assertArrayEquals(expected, reply2);
        }
    }

    @Test
    void aFullConversationIsAClearError() {
        CausalLM m = TinyModels.random(TinyModels.LLAMA_CONFIG, 13);
        try (ChatSession chat = new ChatSession(m, SamplingParams.GREEDY, new int[] {39}, 40, 8)) {
            assertThrows(IllegalStateException.class, () -> chat.send(IntStream.range(1, 9).toArray(), 4, TokenListener.NONE));
        }
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }
}
