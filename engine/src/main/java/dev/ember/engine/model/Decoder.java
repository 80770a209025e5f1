package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * A decoder-only transformer made of parts: token embedding, a stack of {@link DecoderBlock}s,
 * a final norm and the output head. Families differ only in the parts they plug in. A decoder
 * whose metadata gives a pooling type is also an embedding model ({@link #embeddingSpec()}): its
 * embedding requests run in the same batches and hand their last row's normed hidden state out
 * instead of going through the head.
 */
public final class Decoder implements Model {
    private final ModelConfig config;
    private final Compute compute;
    private final WeightMatrix embedding;
    private final DecoderBlock[] blocks;
    private final RmsNorm outputNorm;
    private final WeightMatrix output;
    private final Rope rope;
    private final String summary;
    private final float embeddingScale;
    /** The last pass's buffers, for the next pass. */
    private final ForwardScratch.Spare spare = new ForwardScratch.Spare();
    private static final ForwardScratch.Slot RESIDUAL = new ForwardScratch.Slot("residual stream"), NORMED = new ForwardScratch.Slot("normed rows"),
            BRANCH = new ForwardScratch.Slot("branch output"), NORMED_SCORED = new ForwardScratch.Slot("normed scored rows");
    private final float logitSoftcap;
    private EmbeddingSpec pooling; // null: generative only

    public Decoder(ModelConfig config, Compute compute, WeightMatrix embedding, DecoderBlock[] blocks,
                   RmsNorm outputNorm, WeightMatrix output, Rope rope, String summary) {
        this(config, compute, embedding, blocks, outputNorm, output, rope, summary, 1f, 0f);
    }

    /**
     * @param embeddingScale multiplies the embedding rows (Gemma: sqrt(dim)); 1 elsewhere
     * @param logitSoftcap   when > 0, logits become {@code cap · tanh(logit / cap)} (Gemma 2)
     */
    public Decoder(ModelConfig config, Compute compute, WeightMatrix embedding, DecoderBlock[] blocks,
                   RmsNorm outputNorm, WeightMatrix output, Rope rope, String summary, float embeddingScale, float logitSoftcap) {
        this.embeddingScale = embeddingScale;
        this.logitSoftcap = logitSoftcap;
        this.config = config;
        this.compute = compute;
        this.embedding = embedding;
        this.blocks = blocks;
        this.outputNorm = outputNorm;
        this.output = output;
        this.rope = rope;
        this.summary = summary;
        if (embedding.cols() != config.dim()) throw new ModelLoadException(embedding.name() + ": width " + embedding.cols() + " != embedding length " + config.dim());
        if (output.rows() != config.vocabSize()) throw new ModelLoadException(output.name() + ": " + output.rows() + " rows != vocab size " + config.vocabSize());
    }

    @Override public ModelConfig config() { return config; }

    @Override public EmbeddingSpec embeddingSpec() { return pooling; }

    /** Makes this an embedding model as {@code spec} says (null: not one); called once, by the family, at load. */
    public Decoder withEmbedding(EmbeddingSpec spec) {
        if (spec != null && spec.dimension() != config.dim()) throw new ModelLoadException("embedding dimension " + spec.dimension() + " != " + config.dim());
        this.pooling = spec;
        return this;
    }

    @Override
    public java.util.List<dev.ember.engine.kv.LayerCacheSpec> cacheSpecs() {
        return java.util.Arrays.stream(blocks).map(b -> b.attention().cacheSpec()).toList();
    }

    @Override
    public void forward(ForwardBatch batch, float[] logits) {
        forward(batch, logits, null);
    }

    @Override
    public void forward(ForwardBatch batch, float[] logits, float[] hidden) {
        forward(batch, logits, hidden, new double[0]);
    }

    @Override
    public boolean fusesScoring() { return true; }

    @Override
    public void forward(ForwardBatch batch, float[] logits, float[] hidden, double[] logProbs) {
        int rows = batch.size();
        int vocab = config.vocabSize();
        for (int r = 0; r < rows; r++) {
            int t = batch.tokens()[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + vocab + ")");
        }
        spare.pass(scratch -> forward(new ForwardContext(batch, compute, rope.table(batch.positions(), rows), scratch), logits, hidden, logProbs));
    }

    private void forward(ForwardContext ctx, float[] logits, float[] hidden, double[] logProbs) {
        ForwardBatch batch = ctx.batch();
        ForwardScratch scratch = ctx.scratch();
        Kernels k = compute.kernels();
        int rows = batch.size();
        int dim = config.dim();
        int vocab = config.vocabSize();
        float[] x = scratch.floats(RESIDUAL, rows * dim);
        float[] normed = scratch.floats(NORMED, rows * dim);
        float[] branch = scratch.floats(BRANCH, rows * dim);
        for (int r = 0; r < rows; r++) k.dequantizeRow(embedding, batch.tokens()[r], x, r * dim);
        if (embeddingScale != 1f) for (int i = 0; i < rows * dim; i++) x[i] *= embeddingScale;
        for (int l = 0; l < blocks.length; l++) {
            DecoderBlock b = blocks[l];
            b.attentionNorm().apply(k, ctx.pool(), x, 0, normed, 0, rows);
            b.attention().forward(ctx, l, normed, branch);
            if (b.postAttentionNorm() != null) b.postAttentionNorm().apply(k, ctx.pool(), branch, 0, branch, 0, rows);
            k.add(x, 0, branch, 0, rows * dim);
            b.ffnNorm().apply(k, ctx.pool(), x, 0, normed, 0, rows);
            b.ffn().forward(ctx, normed, branch);
            if (b.postFfnNorm() != null) b.postFfnNorm().apply(k, ctx.pool(), branch, 0, branch, 0, rows);
            k.add(x, 0, branch, 0, rows * dim);
        }
        int[] states = batch.hiddenRows();
        for (int i = 0; i < states.length; i++) outputNorm.apply(k, x, states[i] * dim, hidden, i * dim, 1);
        int[] scored = batch.scoreRows();
        if (scored.length > 0) {
            float[] normedScored = scratch.floats(NORMED_SCORED, scored.length * dim);
            for (int i = 0; i < scored.length; i++) outputNorm.apply(k, x, scored[i] * dim, normedScored, i * dim, 1);
            LogProbHead.logProbs(compute, scratch, output, logitSoftcap, normedScored, scored.length, batch.scoreTargets(), logProbs);
        }
        int[] want = batch.logitRows();
        if (want.length == 0) return;
        float[] selected = new float[want.length * dim];
        for (int i = 0; i < want.length; i++) {
            outputNorm.apply(k, x, want[i] * dim, selected, i * dim, 1);
        }
        k.matmul(compute.pool(), output, selected, want.length, logits);
        if (logitSoftcap > 0) SoftCap.apply(logits, 0, want.length * vocab, logitSoftcap);
    }

    @Override
    public String describe() { return summary; }
}
