package dev.ember.engine.model.v4;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.FeedForward;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.ForwardContext;
import dev.ember.engine.model.ForwardScratch;
import dev.ember.engine.model.LogProbHead;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * DeepSeek-V4's decoder: the residual is {@code n} mHC streams per token; each layer wraps its
 * attention and its MoE in a {@link HyperConnection}, and a {@link HyperHead} collapses the
 * streams before the final norm and the output head.
 */
final class HyperDecoder implements Model {
    /** The last pass's buffers, for the next pass. */
    private final ForwardScratch.Spare spare = new ForwardScratch.Spare();
    record Layer(HyperConnection attnHc, RmsNorm attnNorm, V4Attention attention, HyperConnection ffnHc, RmsNorm ffnNorm, FeedForward ffn) {}

    private final ModelConfig config;
    private final Compute compute;
    private final WeightMatrix embedding;
    private final Layer[] layers;
    private final HyperHead head;
    private final RmsNorm outputNorm;
    private final WeightMatrix output;
    private final int streams;
    private final String summary;

    HyperDecoder(ModelConfig config, Compute compute, WeightMatrix embedding, Layer[] layers, HyperHead head,
                 RmsNorm outputNorm, WeightMatrix output, int streams, String summary) {
        this.config = config;
        this.compute = compute;
        this.embedding = embedding;
        this.layers = layers;
        this.head = head;
        this.outputNorm = outputNorm;
        this.output = output;
        this.streams = streams;
        this.summary = summary;
    }

    @Override public ModelConfig config() { return config; }
    @Override
    public java.util.List<dev.ember.engine.kv.LayerCacheSpec> cacheSpecs() {
        return java.util.Arrays.stream(layers).map(l -> l.attention().cacheSpec()).toList();
    }

    /** Block boundaries must close every compressor window and hold a whole window: a multiple of both. */
    @Override
    public int cacheBlockSize() {
        int size = 16;
        for (Layer l : layers) {
            V4Attention a = l.attention();
            size = lcm(size, a.window());
            if (a.compressor() != null) size = lcm(size, a.compressor().ratio());
        }
        return size;
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) { int t = x % y; x = y; y = t; }
        return a / x * b;
    }

    @Override public String describe() { return summary; }

    /** Compressed entries (and indexer keys) per token: what grows with the context. */
    long extraStateBytesPerToken() {
        double floats = 0;
        for (Layer l : layers) {
            V4Attention a = l.attention();
            if (a.compressor() != null) floats += (double) a.headDim() / a.compressor().ratio();
            if (a.indexer() != null) floats += (double) a.indexer().headDim() / a.indexer().compressor().ratio();
        }
        return (long) Math.ceil(floats * 4);
    }

    Layer[] layers() { return layers; }

    /**
     * Bytes of state one sequence holds now, counted from the live arrays: the window rings,
     * the compressors' open windows and overlap halves (fixed), and the compressed entries and
     * indexer keys (growing). {@code [fixed, growing]}.
     */
    long[] stateBytes(dev.ember.engine.kv.BlockTable table) {
        long fixed = 0, growing = 0;
        for (int l = 0; l < layers.length; l++) {
            dev.ember.engine.kv.SequenceState st = table.stateOrNull(l);
            if (st == null) continue;
            long[] b = st.bytes();
            fixed += b[0];
            growing += b[1];
        }
        return new long[]{fixed, growing};
    }

    @Override
    public void forward(ForwardBatch batch, float[] logits) {
        forward(batch, logits, null, new double[0]);
    }

    @Override
    public boolean fusesScoring() { return true; }

    @Override
    public void forward(ForwardBatch batch, float[] logits, float[] hidden, double[] logProbs) {
        if (batch.hiddenRows().length > 0) throw new UnsupportedOperationException(config.architecture() + " cannot return hidden states");
        int rows = batch.size(), vocab = config.vocabSize();
        for (int r = 0; r < rows; r++) {
            int t = batch.tokens()[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + vocab + ")");
        }
        spare.pass(scratch -> forward(new ForwardContext(batch, compute, new float[0], scratch), logits, hidden, logProbs));
    }

    private void forward(ForwardContext ctx, float[] logits, float[] hidden, double[] logProbs) {
        ForwardBatch batch = ctx.batch();
        Kernels k = compute.kernels();
        int rows = batch.size(), dim = config.dim(), n = streams;
        float[] x = new float[rows * n * dim];
        float[] e = new float[dim];
        for (int r = 0; r < rows; r++) {
            k.dequantizeRow(embedding, batch.tokens()[r], e, 0);
            for (int j = 0; j < n; j++) System.arraycopy(e, 0, x, (r * n + j) * dim, dim);
        }
        float[] normed = new float[rows * dim];
        float[] branch = new float[rows * dim];
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            HyperConnection.Mix mix = layer.attnHc().pre(k, compute.pool(), x, rows);
            layer.attnNorm().apply(k, compute.pool(), mix.collapsed(), 0, normed, 0, rows);
            layer.attention().forward(ctx, l, normed, branch);
            x = layer.attnHc().post(k, compute.pool(), mix, branch, x, rows);
            mix = layer.ffnHc().pre(k, compute.pool(), x, rows);
            layer.ffnNorm().apply(k, compute.pool(), mix.collapsed(), 0, normed, 0, rows);
            layer.ffn().forward(ctx, normed, branch);
            x = layer.ffnHc().post(k, compute.pool(), mix, branch, x, rows);
        }
        int[] scored = batch.scoreRows();
        if (scored.length > 0) {
            float[] normedScored = new float[scored.length * dim];
            head.collapse(k, compute.pool(), x, scored, normedScored);
            outputNorm.apply(k, normedScored, 0, normedScored, 0, scored.length);
            LogProbHead.logProbs(compute, ctx.scratch(), output, 0f, normedScored, scored.length, batch.scoreTargets(), logProbs);
        }
        int[] want = batch.logitRows();
        if (want.length == 0) return;
        float[] collapsed = new float[want.length * dim];
        head.collapse(k, compute.pool(), x, want, collapsed);
        outputNorm.apply(k, collapsed, 0, collapsed, 0, want.length);
        k.matmul(compute.pool(), output, collapsed, want.length, logits);
    }
}
