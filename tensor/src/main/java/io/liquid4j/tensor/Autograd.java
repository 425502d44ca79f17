package io.liquid4j.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** The define-by-run engine: recording ops and running the reverse pass. */
final class Autograd {
    private Autograd() {}

    /** The graph node whose backward the current thread is running (null outside backward): {@link OpProfile} reads it. */
    private static final ThreadLocal<String> BACKWARD_OF = new ThreadLocal<>();

    /** The op name of the node whose backward is running on this thread, or null in the forward pass. */
    static String backwardOf() { return BACKWARD_OF.get(); }

    /** True when an op on these inputs must be recorded. */
    static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /** Attaches a graph node to out when any input requires grad; returns out. */
    static Tensor record(Tensor out, String op, Node.Backward backward, Tensor... inputs) {
        if (needsGrad(inputs)) out.setGradFn(new Node(op, inputs, backward));
        return out;
    }

    /** Runs the reverse pass from root with the given output gradient. */
    static void backward(Tensor root, Tensor gradOutput) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require grad (no input of its graph requires grad)");
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, gradOutput);
        try (var _ = GradMode.noGrad()) {
            for (Tensor t : order) {
                Tensor g = grads.remove(t);
                if (g == null) continue;
                Node node = t.gradFn();
                if (node == null) {
                    t.accumulateGrad(g, g != gradOutput);
                    continue;
                }
                Tensor[] gi;
                if (OpProfile.ENABLED) {
                    BACKWARD_OF.set(node.op);
                    try {
                        gi = node.backward.apply(g);
                    } finally {
                        BACKWARD_OF.remove();
                    }
                } else {
                    gi = node.backward.apply(g);
                }
                for (int i = 0; i < node.inputs.length; i++) {
                    Tensor in = node.inputs[i];
                    if (in == null || !in.requiresGrad() || gi[i] == null) continue;
                    Tensor gin = gi[i];
                    if (!java.util.Arrays.equals(gin.shape(), in.shape())) {
                        throw new IllegalStateException("internal: backward of " + node.op + " gave gradient shape "
                                + java.util.Arrays.toString(gin.shape()) + " for input of shape " + java.util.Arrays.toString(in.shape()));
                    }
                    if (gin.dtype() != in.dtype()) gin = gin.to(in.dtype());
                    Tensor prev = grads.get(in);
                    grads.put(in, prev == null ? gin : prev.add(gin));
                }
            }
        }
    }

    /** Tensors reachable from root, root first, each before all of its inputs. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> post = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        // iterative DFS (graphs of deep models would overflow a recursive one)
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.put(root, true);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Node n = t.gradFn();
            if (n != null && next < n.inputs.length) {
                frame[1] = next + 1;
                Tensor in = n.inputs[next];
                if (in != null && in.requiresGrad() && seen.put(in, true) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                post.add(t);
            }
        }
        Collections.reverse(post);
        return post;
    }
}
