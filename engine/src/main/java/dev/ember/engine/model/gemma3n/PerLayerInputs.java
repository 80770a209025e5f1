package dev.ember.engine.model.gemma3n;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * Gemma 3n's per-layer inputs ({@code get_per_layer_inputs} and {@code project_per_layer_inputs}):
 * each token gets a {@code width}-wide vector per layer, the sum of a row of its own embedding
 * table ({@code per_layer_token_embd}, scaled by sqrt(width)) and a projection of the token's
 * embedding ({@code per_layer_model_proj}, scaled by 1/sqrt(dim) and RMS-normed per layer), times
 * 1/sqrt(2). Tokens past the table's rows (the multimodal ids a text table may lack) get a zero
 * row, as llama.cpp's converter pads them.
 */
public record PerLayerInputs(WeightMatrix table, WeightMatrix projection, RmsNorm norm, int layers, int width) {

    /** {@code rows × layers × width}: row r's input to layer l at {@code (r · layers + l) · width}. */
    public float[] compute(Kernels k, WorkerPool pool, int[] tokens, float[] embedded, int rows) {
        int dim = projection.cols();
        int per = layers * width;
        float[] out = new float[rows * per];
        k.matmul(pool, projection, embedded, rows, out);
        float projScale = (float) (1 / Math.sqrt(dim));
        for (int i = 0; i < out.length; i++) out[i] *= projScale;
        norm.apply(k, out, 0, out, 0, rows * layers);
        float embedScale = (float) Math.sqrt(width);
        float inputScale = (float) (1 / Math.sqrt(2));
        float[] row = new float[per];
        for (int r = 0; r < rows; r++) {
            boolean known = tokens[r] < table.rows();
            if (known) k.dequantizeRow(table, tokens[r], row, 0);
            for (int i = 0; i < per; i++) {
                float t = known ? row[i] * embedScale : 0f;
                out[r * per + i] = (out[r * per + i] + t) * inputScale;
            }
        }
        return out;
    }
}
