package dev.ember.engine.model.gemma3n;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.ForwardContext;
import dev.ember.engine.model.ForwardScratch;
import dev.ember.engine.model.GeGlu;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.SoftCap;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.Arrays;
import java.util.List;

/**
 * Gemma 3n's text decoder ({@code Gemma3nTextModel} + {@code Gemma3nForCausalLM}): the scaled
 * embedding becomes {@code altUp} streams (stream 0 itself, the others its projections rescaled to
 * its RMS magnitude), each {@link Gemma3nBlock} updates them, and at the end the other streams are
 * projected back (rescaled to stream 0's magnitude) and averaged, normed, and read by the tied
 * head with soft-capped logits. Every layer also gets its {@link PerLayerInputs} row.
 *
 * @param altUpProjections   streams 1.. from the embedding, {@code dim × dim} each
 * @param altUpUnembeddings  streams 1.. back, {@code dim × dim} each
 */
public final class Gemma3nDecoder implements Model {
    /** The last pass's buffers, for the next pass. */
    private final ForwardScratch.Spare spare = new ForwardScratch.Spare();
    private final ModelConfig config;
    private final Compute compute;
    private final WeightMatrix embedding;
    private final PerLayerInputs perLayerInputs;
    private final WeightMatrix[] altUpProjections;
    private final WeightMatrix[] altUpUnembeddings;
    private final Gemma3nBlock[] blocks;
    private final RmsNorm outputNorm;
    private final WeightMatrix output;
    private final Rope rope;
    private final float logitSoftcap;
    private final String summary;

    public Gemma3nDecoder(ModelConfig config, Compute compute, WeightMatrix embedding, PerLayerInputs perLayerInputs,
                          WeightMatrix[] altUpProjections, WeightMatrix[] altUpUnembeddings, Gemma3nBlock[] blocks,
                          RmsNorm outputNorm, WeightMatrix output, Rope rope, float logitSoftcap, String summary) {
        this.config = config;
        this.compute = compute;
        this.embedding = embedding;
        this.perLayerInputs = perLayerInputs;
        this.altUpProjections = altUpProjections.clone();
        this.altUpUnembeddings = altUpUnembeddings.clone();
        this.blocks = blocks.clone();
        this.outputNorm = outputNorm;
        this.output = output;
        this.rope = rope;
        this.logitSoftcap = logitSoftcap;
        this.summary = summary;
        if (output.rows() != config.vocabSize()) throw new ModelLoadException(output.name() + ": " + output.rows() + " rows != vocab size " + config.vocabSize());
    }

    @Override public ModelConfig config() { return config; }

    @Override public String describe() { return summary; }

    @Override
    public List<LayerCacheSpec> cacheSpecs() {
        return Arrays.stream(blocks).map(b -> b.attention().cacheSpec()).toList();
    }

    @Override
    public void forward(ForwardBatch batch, float[] logits) {
        int rows = batch.size(), vocab = config.vocabSize();
        for (int r = 0; r < rows; r++) {
            int t = batch.tokens()[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + vocab + ")");
        }
        spare.pass(scratch -> forward(new ForwardContext(batch, compute, rope.table(batch.positions(), rows), scratch), logits));
    }

    private void forward(ForwardContext ctx, float[] logits) {
        ForwardBatch batch = ctx.batch();
        Kernels k = compute.kernels();
        int rows = batch.size(), dim = config.dim(), vocab = config.vocabSize();
        int n = altUpProjections.length + 1;
        float[] e = new float[rows * dim];
        for (int r = 0; r < rows; r++) k.dequantizeRow(embedding, batch.tokens()[r], e, r * dim);
        float embedScale = (float) Math.sqrt(dim);
        for (int i = 0; i < e.length; i++) e[i] *= embedScale;
        float[] perLayer = perLayerInputs.compute(k, compute.pool(), batch.tokens(), e, rows);
        int width = perLayerInputs.width(), layers = blocks.length;

        float[][] x = new float[n][];
        x[0] = e;
        float[][] projected = new float[n - 1][rows * dim];
        k.matmuls(compute.pool(), altUpProjections, e, rows, projected);
        for (int i = 1; i < n; i++) x[i] = rescaled(projected[i - 1], e, rows, dim);

        float[] normed = new float[rows * dim];
        float[] branch = new float[rows * dim];
        float[] gate = new float[rows * width];
        float sqrt2 = (float) Math.sqrt(2);
        for (int l = 0; l < layers; l++) {
            Gemma3nBlock b = blocks[l];
            AltUp altUp = b.altUp();
            float[][] pred = altUp.predict(k, x, rows);
            float[] active = pred[altUp.active()];
            b.attentionNorm().apply(k, active, 0, normed, 0, rows);
            float[] laurel = b.laurel().apply(ctx, normed, rows);
            b.attention().forward(ctx, l, normed, branch);
            b.postAttentionNorm().apply(k, branch, 0, branch, 0, rows);
            float[] y = new float[rows * dim];
            for (int i = 0; i < y.length; i++) y[i] = (active[i] + branch[i] + laurel[i]) / sqrt2;
            b.ffnNorm().apply(k, y, 0, normed, 0, rows);
            b.ffn().forward(ctx, normed, branch);
            b.postFfnNorm().apply(k, branch, 0, branch, 0, rows);
            k.add(y, 0, branch, 0, y.length);
            altUp.correct(k, pred, y, rows);

            float[] first = pred[altUp.active()].clone();
            float[] scale = altUp.correctScale();
            if (scale != null) for (int r = 0; r < rows; r++) for (int d = 0; d < dim; d++) first[r * dim + d] *= scale[d];
            k.matmul(compute.pool(), b.perLayerGate(), first, rows, gate);
            for (int r = 0; r < rows; r++) {
                int in = (r * layers + l) * width;
                for (int j = 0; j < width; j++) gate[r * width + j] = GeGlu.gelu(gate[r * width + j]) * perLayer[in + j];
            }
            k.matmul(compute.pool(), b.perLayerProjection(), gate, rows, branch);
            b.perLayerPostNorm().apply(k, branch, 0, branch, 0, rows);
            for (int i = 1; i < n; i++) k.add(pred[i], 0, branch, 0, rows * dim);
            x = pred;
        }

        int[] want = batch.logitRows();
        if (batch.hiddenRows().length > 0) throw new UnsupportedOperationException("gemma3n cannot return hidden states");
        if (want.length == 0) return;
        int m = want.length;
        float[][] picked = new float[n][m * dim];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) System.arraycopy(x[i], want[j] * dim, picked[i], j * dim, dim);
        float[] merged = picked[0].clone();
        float[] back = new float[m * dim];
        for (int i = 1; i < n; i++) {
            k.matmul(compute.pool(), altUpUnembeddings[i - 1], picked[i], m, back);
            float[] u = rescaled(back, picked[0], m, dim);
            for (int j = 0; j < merged.length; j++) merged[j] += u[j];
        }
        for (int j = 0; j < merged.length; j++) merged[j] /= n;
        outputNorm.apply(k, merged, 0, merged, 0, m);
        k.matmul(compute.pool(), output, merged, m, logits);
        if (logitSoftcap > 0) SoftCap.apply(logits, 0, m * vocab, logitSoftcap);
    }

    /**
     * {@code v} rescaled row by row to the RMS magnitude of {@code target}:
     * {@code v · rms(target) / sqrt(max(mean(v²), 1e-5))}, as transformers spreads and gathers the
     * AltUp streams.
     */
    private static float[] rescaled(float[] v, float[] target, int rows, int dim) {
        float[] out = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            float want = (float) Math.sqrt(meanSquare(target, r * dim, dim));
            float have = (float) Math.sqrt(Math.max(meanSquare(v, r * dim, dim), 1e-5f));
            for (int d = r * dim; d < (r + 1) * dim; d++) out[d] = v[d] * want / have;
        }
        return out;
    }

    private static float meanSquare(float[] x, int off, int n) {
        double s = 0;
        for (int i = off; i < off + n; i++) s += (double) x[i] * x[i];
        return (float) (s / n);
    }
}
