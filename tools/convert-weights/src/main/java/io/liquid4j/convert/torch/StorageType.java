package io.liquid4j.convert.torch;

import io.liquid4j.tensor.DType;
import java.util.List;
import java.util.Map;

/**
 * A legacy typed-storage class (torch.FloatStorage, ...) as named in a storage's persistent id.
 * It is only a tag saying how to read the storage's bytes; the unpickler never calls it.
 */
public record StorageType(String qualifiedName, int elementSize, DType dtype) implements PickleGlobal {
    /** Storage classes whose bytes liquid4j can turn into tensors (F64 is narrowed to F32, bool to U8). */
    private static final Map<String, StorageType> KNOWN = Map.of(
            "FloatStorage", new StorageType("torch.FloatStorage", 4, DType.F32),
            "HalfStorage", new StorageType("torch.HalfStorage", 2, DType.F16),
            "BFloat16Storage", new StorageType("torch.BFloat16Storage", 2, DType.BF16),
            "DoubleStorage", new StorageType("torch.DoubleStorage", 8, DType.F32),
            "LongStorage", new StorageType("torch.LongStorage", 8, DType.I64),
            "IntStorage", new StorageType("torch.IntStorage", 4, DType.I32),
            "ByteStorage", new StorageType("torch.ByteStorage", 1, DType.U8),
            "BoolStorage", new StorageType("torch.BoolStorage", 1, DType.U8));

    /** Storage classes PyTorch writes that have no liquid4j dtype: named in a clear error when a tensor needs one. */
    private static final Map<String, Integer> UNSUPPORTED = Map.of(
            "CharStorage", 1, "ShortStorage", 2, "ComplexFloatStorage", 8, "ComplexDoubleStorage", 16,
            "QInt8Storage", 1, "QUInt8Storage", 1, "QInt32Storage", 4, "Float8_e4m3fnStorage", 1, "Float8_e5m2Storage", 1);

    /** The storage type for a torch.XStorage global name, or null when the name is not a storage class. */
    static StorageType forName(String qualifiedName) {
        if (!qualifiedName.startsWith("torch.")) return null;
        String simple = qualifiedName.substring("torch.".length());
        StorageType t = KNOWN.get(simple);
        if (t != null) return t;
        Integer size = UNSUPPORTED.get(simple);
        return size == null ? null : new StorageType(qualifiedName, size, null);
    }

    /** Whether liquid4j can read tensors of this storage type. */
    public boolean supported() { return dtype != null; }

    /** True when the stored element is wider than the liquid4j dtype (F64 read as F32). */
    boolean narrows() { return elementSize == 8 && dtype == DType.F32; }

    @Override public Object call(List<Object> args) {
        throw new PickleException("pickle calls the storage class " + qualifiedName + ", which only tags persistent ids");
    }
}
