package io.liquid4j.convert.torch;

import java.util.List;

/**
 * What a GLOBAL opcode resolves to: a callable the unpickler may apply (REDUCE / NEWOBJ) to its
 * already-unpickled arguments. Only the allow-listed globals of {@link TorchGlobals} exist;
 * nothing is ever looked up or executed by name.
 */
public interface PickleGlobal {
    /** module.name as the pickle spells it, for error messages. */
    String qualifiedName();

    /** The object `global(*args)` stands for. */
    Object call(List<Object> args);

    /** BUILD on an object this global made (default: refuse). */
    default Object build(Object instance, Object state) {
        throw new PickleException("cannot set the state of a " + qualifiedName() + " object");
    }
}
