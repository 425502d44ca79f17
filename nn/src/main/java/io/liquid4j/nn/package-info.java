/**
 * Modules, layers, losses and optimizers built only from {@link io.liquid4j.tensor.Tensor}
 * operations: the transformer families and the VQGAN live here (see DESIGN.md).
 */
package io.liquid4j.nn;
