package io.liquid4j.tensor.cuda;

/** A failed CUDA driver or cuBLASLt call: names the function, the error name and its message. */
public class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String function, int code, String name, String message) {
        super(function + " failed: " + name + " (" + code + "): " + message);
        this.code = code;
    }

    public CudaException(String message) {
        super(message);
        this.code = -1;
    }

    /** The CUresult / cublasStatus_t code, or -1 when the failure was not a status code. */
    public int code() { return code; }
}
