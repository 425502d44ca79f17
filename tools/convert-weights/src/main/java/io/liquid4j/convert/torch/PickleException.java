package io.liquid4j.convert.torch;

/** A pickle stream that is malformed or asks for something the restricted unpickler refuses. */
public final class PickleException extends RuntimeException {
    public PickleException(String message) { super(message); }
}
