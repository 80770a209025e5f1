package dev.ember.engine.tensor;

import static dev.ember.engine.tensor.BlockFormat.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types of weight tensors: each a GGML type id and the {@link BlockFormat} that describes
 * its block layout and codecs (the one place a type is defined). A quantized type stores
 * {@code blockSize} elements in {@code blockBytes} bytes; a row of {@code k} elements therefore
 * takes {@code k / blockSize * blockBytes} bytes. Block layouts are ggml's (ggml-common.h).
 */
public enum TensorType {
    F32(0, new BlockFormat(1, 4, (d, o, n, dst, off) -> MemorySegment.copy(d, Dequant.LE_FLOAT, o, dst, off, n),
            (src, off, n, dst, pos) -> MemorySegment.copy(src, off, dst, Dequant.LE_FLOAT, pos, n))),
    F16(1, new BlockFormat(1, 2, (d, o, n, dst, off) -> {
        for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(d.get(Dequant.LE_SHORT, o + 2L * i));
    }, (src, off, n, dst, pos) -> {
        for (int i = 0; i < n; i++) dst.set(Dequant.LE_SHORT, pos + 2L * i, Quantize.f16(src[off + i]));
    })),
    Q4_0(2, new BlockFormat(32, 18, BlockFormat.perBlock(Dequant::q4_0, 32, 18), Quantize::q4_0)),
    Q4_1(3, quant(32, 20, LegacyQuants::q4_1, LegacyQuants::encodeQ4_1)),
    Q5_0(6, quant(32, 22, LegacyQuants::q5_0, LegacyQuants::encodeQ5_0)),
    Q5_1(7, quant(32, 24, LegacyQuants::q5_1, LegacyQuants::encodeQ5_1)),
    Q8_0(8, new BlockFormat(32, 34, BlockFormat.perBlock(Dequant::q8_0, 32, 34), Quantize::q8_0)),
    Q2_K(10, quant(256, 84, KQuants::q2_K, null)),
    Q3_K(11, quant(256, 110, KQuants::q3_K, null)),
    Q4_K(12, quant(256, 144, Dequant::q4_K, null)),
    Q5_K(13, quant(256, 176, KQuants::q5_K, null)),
    Q6_K(14, quant(256, 210, Dequant::q6_K, null)),
    IQ4_NL(20, quant(32, 18, NonLinearQuants::iq4_nl, null)),
    IQ4_XS(23, quant(256, 136, NonLinearQuants::iq4_xs, null)),
    BF16(30, new BlockFormat(1, 2, (d, o, n, dst, off) -> {
        for (int i = 0; i < n; i++) dst[off + i] = Dequant.bf16ToFloat(d.get(Dequant.LE_SHORT, o + 2L * i));
    }, (src, off, n, dst, pos) -> {
        for (int i = 0; i < n; i++) dst.set(Dequant.LE_SHORT, pos + 2L * i, Quantize.bf16(src[off + i]));
    })),
    MXFP4(39, quant(32, 17, NonLinearQuants::mxfp4, NonLinearQuants::encodeMxfp4)),
    /** 32-bit integers: lookup tables such as DeepSeek-V4's token→expert hash routing, never a matmul weight. */
    I32(26, new BlockFormat(1, 4, null, (src, off, n, dst, pos) -> {
        for (int i = 0; i < n; i++) {
            float v = src[off + i];
            if (v != (int) v) throw new IllegalArgumentException("I32 tensor value " + v + " at " + i + " is not an integer");
            dst.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), pos + 4L * i, (int) v);
        }
    }));

    private final int ggmlId;
    private final BlockFormat format;

    TensorType(int ggmlId, BlockFormat format) {
        this.ggmlId = ggmlId;
        this.format = format;
    }

    public int ggmlId() { return ggmlId; }

    /** The block layout and codecs of this type. */
    public BlockFormat format() { return format; }

    /** Elements per block (1 for plain float types). */
    public int blockSize() { return format.blockSize(); }

    /** Bytes per block. */
    public int blockBytes() { return format.blockBytes(); }

    public boolean isQuantized() { return format.blockSize() > 1; }

    /** Bytes taken by {@code elements} elements; {@code elements} must be a multiple of the block size. */
    public long bytesFor(long elements) {
        int blockSize = format.blockSize();
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a multiple of the " + this + " block size " + blockSize);
        }
        return elements / blockSize * format.blockBytes();
    }

    /**
     * llama.cpp's {@code llama_ftype} ({@code general.file_type}) of a file whose matrices are all
     * this type; -1 when llama.cpp has none (Q2_K..IQ4_XS files are always mixes it names itself).
     */
    public int llamaFileType() {
        return switch (this) {
            case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; case Q4_1 -> 3; case Q8_0 -> 7;
            case Q5_0 -> 8; case Q5_1 -> 9; case BF16 -> 32; case MXFP4 -> 38;
            default -> -1;
        };
    }

    /** The type with this GGML id, or null when Ember does not support it. */
    public static TensorType fromGgmlId(int id) {
        for (TensorType t : values()) {
            if (t.ggmlId == id) return t;
        }
        return null;
    }

    /** The weight types Ember reads, for error messages ("F32, F16, ..."). */
    public static String supportedWeightTypes() {
        return Arrays.stream(values()).filter(t -> t.format.isWeight()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** GGML's name for a type id, for error messages about types Ember does not support. */
    public static String ggmlName(int id) {
        TensorType t = fromGgmlId(id);
        if (t != null) return t.name();
        return switch (id) {
            case 9 -> "Q8_1"; case 15 -> "Q8_K"; case 16 -> "IQ2_XXS"; case 17 -> "IQ2_XS";
            case 18 -> "IQ3_XXS"; case 19 -> "IQ1_S"; case 21 -> "IQ3_S";
            case 22 -> "IQ2_S"; case 24 -> "I8"; case 25 -> "I16";
            case 27 -> "I64"; case 28 -> "F64"; case 29 -> "IQ1_M";
            case 34 -> "TQ1_0"; case 35 -> "TQ2_0"; case 40 -> "NVFP4";
            default -> "type#" + id;
        };
    }
}
