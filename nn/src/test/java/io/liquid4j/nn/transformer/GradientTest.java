package io.liquid4j.nn.transformer;

import static io.liquid4j.nn.transformer.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.liquid4j.nn.Parameter;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Gradients of the next-token loss w.r.t. every parameter of a full tiny model match PyTorch autograd. */
class GradientTest {
    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "qwen2", "llama"})
    void everyParameterGradientMatchesAutograd(String family) {
        Map<String, Tensor> ref = Fixtures.reference(family);
        CausalLM m = CausalLM.fromPretrained(Fixtures.modelDir(family), null, Device.CPU);
        try (var _ = TensorScope.open()) {
            Tensor loss = m.nextTokenLoss(ref.get("ids"));
            assertEquals(ref.get("loss").item(), loss.item(), 1e-5 * Math.abs(ref.get("loss").item()), family + " loss");
            loss.backward();
            int checked = 0;
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                Tensor expected = ref.get("grad." + e.getKey());
                if (expected == null) continue;   // the tied lm_head.weight alias: its gradient is the embedding's
                Tensor grad = e.getValue().value().grad();
                assertNotNull(grad, family + " " + e.getKey() + " has no gradient");
                assertClose(family + " grad " + e.getKey(), grad, expected, 1e-4);
                checked++;
            }
            assertEquals(ref.keySet().stream().filter(k -> k.startsWith("grad.")).count(), checked, family + ": gradients checked");
        }
    }
}
