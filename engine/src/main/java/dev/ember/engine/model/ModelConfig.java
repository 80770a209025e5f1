package dev.ember.engine.model;

/**
 * The hyper-parameters a dense decoder needs, read from GGUF metadata (or config.json).
 *
 * @param architecture  GGUF architecture string (llama, qwen2, qwen3, …)
 * @param headDim       key/query head size
 * @param valueDim      value head size
 * @param ropeDims      rotated dimensions per head
 */
public record ModelConfig(
        String architecture,
        int vocabSize,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int valueDim,
        int ffnDim,
        float rmsEps,
        int contextLength,
        double ropeTheta,
        int ropeDims,
        RopeLayout ropeLayout,
        RopeScaling ropeScaling) {

    public ModelConfig {
        check(vocabSize > 0, "vocab size", vocabSize);
        check(dim > 0, "embedding length", dim);
        check(layers > 0, "block count", layers);
        check(heads > 0, "head count", heads);
        check(kvHeads > 0 && heads % kvHeads == 0, "KV head count (must divide the head count " + heads + ")", kvHeads);
        check(headDim > 0, "key length", headDim);
        check(valueDim > 0, "value length", valueDim);
        check(ffnDim > 0, "feed-forward length", ffnDim);
        check(ropeDims > 0 && ropeDims <= headDim && ropeDims % 2 == 0, "rope dimension count", ropeDims);
        check(contextLength > 0, "context length", contextLength);
    }

    private static void check(boolean ok, String what, int value) {
        if (!ok) throw new Invalid("invalid model config: " + what + " = " + value);
    }

    /** A hyper-parameter out of range; {@code ModelFamilies.load} reports it naming the model. */
    public static final class Invalid extends IllegalArgumentException {
        Invalid(String message) { super(message); }
    }

    public int qDim() { return heads * headDim; }
    public int kvDim() { return kvHeads * headDim; }
    public int vDim() { return kvHeads * valueDim; }
}
