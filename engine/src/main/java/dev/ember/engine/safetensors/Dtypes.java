package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tensor.TensorType;

/**
 * Safetensors dtype names. The float types Ember computes with map one-to-one onto
 * {@link TensorType}s with the same byte layout (little-endian IEEE), so their tensors are used
 * in place.
 */
final class Dtypes {
    private Dtypes() {}

    /** Bytes per element, or 0 for names this class does not know (sizes are then not checked). */
    static int byteWidth(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0" -> 1;
            default -> 0;
        };
    }

    /** The Ember type of a weight stored as {@code dtype}, or a load error naming the tensor and the fix. */
    static TensorType tensorType(SafetensorsFile.Entry e) {
        return switch (e.dtype()) {
            case "F32" -> TensorType.F32;
            case "F16" -> TensorType.F16;
            case "BF16" -> TensorType.BF16;
            case "F8_E4M3", "F8_E5M2" -> throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' is " + e.dtype()
                    + " (FP8); Ember reads block-scaled F8_E4M3 weights (with a .scale or .weight_scale_inv beside them) where they"
                    + " are used as stored, not here: dequantize to BF16 first (e.g. DeepSeek's fp8_cast_bf16.py)");
            default -> throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' has dtype " + e.dtype()
                    + ", which Ember cannot use as a weight (supported: F32, F16, BF16)");
        };
    }
}
