package dev.ember.engine.convert;

import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.safetensors.HfCheckpoint;
import dev.ember.engine.safetensors.TensorPlan;
import dev.ember.engine.tensor.Quantize;
import dev.ember.engine.tensor.TensorType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Converts a Hugging Face model directory to a GGUF file as llama.cpp's
 * {@code convert_hf_to_gguf.py} writes it: its architecture string, tensor names and metadata
 * keys (all from {@link HfCheckpoint}), and its choice of stored type per tensor. Tensors are
 * streamed from the mapped shards row chunk by row chunk and encoded while the file is written,
 * so memory stays bounded whatever the model size; stacked experts and permuted Q/K are
 * assembled on the fly, never materialised.
 */
public final class HfToGguf {
    /** What was written: tensor count, parameters, file size and tensors per stored type. */
    public record Summary(int tensors, long parameters, long fileBytes, Map<TensorType, Integer> types) {}

    private HfToGguf() {}

    /** The output types `ember convert` accepts. */
    public static boolean supports(TensorType t) {
        return Quantize.canEncode(t) && t.llamaFileType() >= 0;
    }

    /** The output types, for messages ("F32, F16, ..."). */
    public static String supportedTypes() {
        return java.util.Arrays.stream(TensorType.values()).filter(HfToGguf::supports).map(Enum::name)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    public static Summary convert(Path from, Path to, TensorType type, int threads) throws IOException {
        if (!supports(type)) throw new IllegalArgumentException("cannot convert to " + type + " (supported: " + supportedTypes() + ")");
        try (HfCheckpoint ckpt = HfCheckpoint.open(from)) {
            // A tokenizer.json that cannot be translated would silently give a GGUF without a tokenizer.
            if (ckpt.tokenizerProblem() != null) throw ckpt.tokenizerProblem();
            GgufWriter w = new GgufWriter();
            ckpt.ggufMetadata().writeTo(w, k -> !k.startsWith("tokenizer."));
            w.putUInt32("general.file_type", fileType(type));
            ckpt.ggufMetadata().writeTo(w, k -> k.startsWith("tokenizer."));
            Map<TensorType, Integer> types = new EnumMap<>(TensorType.class);
            long params = 0;
            for (TensorPlan p : ckpt.plans().values()) {
                TensorType t = storedType(p, type);
                if (t == TensorType.I32) w.addTensor(p.name(), t, p.shape(), ckpt.tensor(p.name()).data()); // lookup tables, as stored
                else w.addTensor(p.name(), t, p.shape(), p::fillRows);
                types.merge(t, 1, Integer::sum);
                params += p.elements();
            }
            w.write(to, threads);
            return new Summary(ckpt.plans().size(), params, w.fileSize(), types);
        }
    }

    /**
     * llama.cpp's rule: integer tables (DeepSeek-V4's {@code tid2eid}) stay I32; 1-D tensors,
     * norms, MoE routers, anything not named {@code .weight} (biases, {@code exp_probs_b.bias}),
     * DeepSeek-V4's hyper-connection mixers ({@code hc_*}, tiny and applied to the whole residual
     * stream) and compressor position biases ({@code *_ape}, added to gate logits) stay F32;
     * other weights take the requested type, and a quantized type falls back to F16 when the row
     * length is not a multiple of its block.
     */
    static TensorType storedType(TensorPlan p, TensorType requested) {
        String n = p.name();
        if (p.type() == TensorType.I32) return TensorType.I32;
        if (p.shape().length <= 1 || n.endsWith("_norm.weight") || n.contains("ffn_gate_inp") || !n.endsWith(".weight")
                || n.contains("hc_") || n.endsWith("_ape.weight")) {
            return TensorType.F32;
        }
        if (requested.isQuantized() && p.shape()[0] % requested.blockSize() != 0) return TensorType.F16;
        return requested;
    }

    /** llama.cpp's LlamaFileType for {@code general.file_type}. */
    static int fileType(TensorType t) {
        int ft = t.llamaFileType();
        if (ft < 0) throw new IllegalArgumentException(t.toString());
        return ft;
    }
}
