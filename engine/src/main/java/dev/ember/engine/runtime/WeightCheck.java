package dev.ember.engine.runtime;

import dev.ember.engine.model.WeightSource;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The opt-in scan behind {@code --check-weights}: decodes every weight of a checkpoint and reports
 * the tensors that hold NaN or infinite values. A corrupt or badly converted file otherwise shows
 * up only as non-finite logits at run time (which the scheduler also refuses to sample from).
 */
public final class WeightCheck {
    private WeightCheck() {}

    /** One problem per bad tensor (its first non-finite element), at most {@code limit}; empty when every weight is finite. */
    public static List<String> nonFinite(WeightSource source, int limit) {
        List<String> problems = new ArrayList<>();
        for (WeightSource.TensorSummary s : source.tensorSummaries()) {
            if (problems.size() >= limit) break;
            if (!Dequant.supports(s.type())) continue;
            Tensor t = source.tensor(s.name());
            int cols = t.cols();
            float[] row = new float[cols];
            int rows = t.rows();
            for (int r = 0; r < rows; r++) {
                Dequant.row(t.type(), t.data(), t.rowBytes() * r, cols, row, 0);
                int bad = firstNonFinite(row);
                if (bad >= 0) {
                    problems.add(s.name() + " (" + s.type() + "): element " + bad + " of row " + r + " is " + row[bad]);
                    break;
                }
            }
        }
        return problems;
    }

    /** Throws one line naming the bad tensors, or returns when every weight is finite. */
    public static void requireFinite(WeightSource source) {
        List<String> problems = nonFinite(source, 5);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(source.origin() + " has non-finite weights (the file is corrupt or badly converted): "
                    + String.join("; ", problems));
        }
    }

    /** {@link #requireFinite(WeightSource)} for a GGUF file or a Hugging Face directory, without building the model. */
    public static void requireFinite(java.nio.file.Path path) {
        if (java.nio.file.Files.isDirectory(path)) {
            try (dev.ember.engine.safetensors.HfCheckpoint c = dev.ember.engine.safetensors.HfCheckpoint.open(path)) {
                requireFinite(c);
            }
        } else {
            try (dev.ember.engine.gguf.GgufFile f = dev.ember.engine.gguf.GgufFile.open(path)) {
                requireFinite(new dev.ember.engine.model.GgufWeights(f));
            }
        }
    }

    private static int firstNonFinite(float[] a) {
        for (int i = 0; i < a.length; i++) if (!Float.isFinite(a[i])) return i;
        return -1;
    }
}
