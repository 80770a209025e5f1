package dev.ember.engine.tensor;

/**
 * Element types of weight tensors, with their GGML type ids and block geometry.
 * A quantized type stores {@code blockSize} elements in {@code blockBytes} bytes; a row of
 * {@code k} elements therefore takes {@code k / blockSize * blockBytes} bytes.
 */
public enum TensorType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144),
    Q6_K(14, 256, 210),
    BF16(30, 1, 2),
    /** 32-bit integers: lookup tables such as DeepSeek-V4's token→expert hash routing, never a matmul weight. */
    I32(26, 1, 4);

    private final int ggmlId;
    private final int blockSize;
    private final int blockBytes;

    TensorType(int ggmlId, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int ggmlId() { return ggmlId; }

    /** Elements per block (1 for plain float types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    public boolean isQuantized() { return blockSize > 1; }

    /** Bytes taken by {@code elements} elements; {@code elements} must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a multiple of the " + this + " block size " + blockSize);
        }
        return elements / blockSize * blockBytes;
    }

    /** The type with this GGML id, or null when Ember does not support it. */
    public static TensorType fromGgmlId(int id) {
        for (TensorType t : values()) {
            if (t.ggmlId == id) return t;
        }
        return null;
    }

    /** GGML's name for a type id, for error messages about types Ember does not support. */
    public static String ggmlName(int id) {
        return switch (id) {
            case 0 -> "F32"; case 1 -> "F16"; case 2 -> "Q4_0"; case 3 -> "Q4_1";
            case 6 -> "Q5_0"; case 7 -> "Q5_1"; case 8 -> "Q8_0"; case 9 -> "Q8_1";
            case 10 -> "Q2_K"; case 11 -> "Q3_K"; case 12 -> "Q4_K"; case 13 -> "Q5_K";
            case 14 -> "Q6_K"; case 15 -> "Q8_K"; case 16 -> "IQ2_XXS"; case 17 -> "IQ2_XS";
            case 18 -> "IQ3_XXS"; case 19 -> "IQ1_S"; case 20 -> "IQ4_NL"; case 21 -> "IQ3_S";
            case 22 -> "IQ2_S"; case 23 -> "IQ4_XS"; case 24 -> "I8"; case 25 -> "I16";
            case 26 -> "I32"; case 27 -> "I64"; case 28 -> "F64"; case 29 -> "IQ1_M";
            case 30 -> "BF16"; case 34 -> "TQ1_0"; case 35 -> "TQ2_0"; case 39 -> "MXFP4";
            default -> "type#" + id;
        };
    }
}
