package io.liquid4j.nn.layers;

import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.UnaryOp;

/** The gate activations of the supported gated MLPs. */
public enum Activation {
    /** SwiGLU (Llama, Qwen2). */
    SILU(UnaryOp.SILU),
    /** GeGLU with the tanh approximation (Gemma 1 and 2, whatever their config says). */
    GELU_TANH(UnaryOp.GELU_TANH);

    private final UnaryOp op;

    Activation(UnaryOp op) { this.op = op; }

    /** act(gate) ⊙ up as one fused op ({@link F#gatedActivation}). */
    public Tensor gated(Tensor gate, Tensor up) {
        return F.gatedActivation(gate, up, op);
    }
}
