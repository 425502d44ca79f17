package io.liquid4j.tensor;

/**
 * One recorded operation of the autograd graph: its inputs and the function that turns the
 * gradient of the output into gradients of the inputs (null where an input needs none).
 */
final class Node {
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    final String op;
    final Tensor[] inputs;
    final Backward backward;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }
}
