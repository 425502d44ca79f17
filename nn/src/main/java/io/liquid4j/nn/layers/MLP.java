package io.liquid4j.nn.layers;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;

/** Gated feed-forward block: down(act(gate(x)) ⊙ up(x)), HF names gate_proj / up_proj / down_proj. */
public final class MLP extends Module {
    private final Linear gate, up, down;
    private final Activation activation;

    public MLP(int hidden, int intermediate, Activation activation, boolean bias, Init init) {
        this.activation = activation;
        gate = child("gate_proj", new Linear(hidden, intermediate, bias, Math.pow(hidden, -0.5), init));
        up = child("up_proj", new Linear(hidden, intermediate, bias, Math.pow(hidden, -0.5), init));
        down = child("down_proj", new Linear(intermediate, hidden, bias, Math.pow(intermediate, -0.5), init));
    }

    public Tensor forward(Tensor x) {
        if (GradMode.isEnabled()) return down.forward(activation.gated(gate.forward(x), up.forward(x)));
        // inference: gate and up as one job (Linear.forwardAll); training keeps its two products
        // (stacking them would change the bits of a training run's GEMMs)
        Tensor[] gateUp = Linear.forwardAll(x, gate, up);
        return down.forward(activation.gated(gateUp[0], gateUp[1]));
    }
}
