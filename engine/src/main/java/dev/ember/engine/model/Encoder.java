package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.kv.PagedKvSpec;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * A BERT-style encoder: token + token-type embeddings (+ absolute positions, BERT's) and a
 * LayerNorm, then post-norm blocks of bidirectional multi-head attention (with RoPE on Q and K
 * instead of position embeddings: nomic-bert) and a feed-forward: GELU, or SwiGLU when the block
 * has a gate (nomic-bert). Biases are optional. It never generates: every sequence is computed
 * whole in one pass and nothing is cached past it, so {@link #forward} is refused and
 * {@link #embed} is the way in.
 *
 * <p>Sequences of one call are packed row after row into the same matmuls (the kernels' rows
 * are independent, see {@link Kernels}) and attend only within themselves, so an embedding is
 * the same bits alone or in any batch.
 */
public final class Encoder implements Model, EmbeddingModel {
    /** One post-norm block; a null bias is none; a null {@code gate} makes the FFN GELU(up), else SiLU(gate) · up. */
    public record Block(WeightMatrix q, float[] qBias, WeightMatrix k, float[] kBias, WeightMatrix v, float[] vBias,
                        WeightMatrix out, float[] outBias, LayerNorm attentionNorm,
                        WeightMatrix gate, WeightMatrix up, float[] upBias, WeightMatrix down, float[] downBias, LayerNorm outputNorm) {}

    private final ModelConfig config;
    private final Compute compute;
    private final WeightMatrix tokens;
    private final WeightMatrix positions; // null with RoPE
    private final Rope rope; // null with position embeddings
    private final int maxTokens;
    private final float[] tokenType0;
    private final LayerNorm embeddingNorm;
    private final Block[] blocks;
    private final EmbeddingSpec spec;
    private final String summary;

    /** {@code positions} (learned absolute positions) or {@code rope} (rotary positions on Q and K), not both. */
    public Encoder(ModelConfig config, Compute compute, WeightMatrix tokens, WeightMatrix positions, Rope rope, float[] tokenType0,
                   LayerNorm embeddingNorm, Block[] blocks, EmbeddingSpec spec, String summary) {
        if ((positions == null) == (rope == null)) throw new IllegalArgumentException("an encoder has position embeddings or RoPE");
        this.config = config;
        this.compute = compute;
        this.tokens = tokens;
        this.positions = positions;
        this.rope = rope;
        this.maxTokens = positions != null ? positions.rows() : config.contextLength();
        this.tokenType0 = tokenType0;
        this.embeddingNorm = embeddingNorm;
        this.blocks = blocks;
        this.spec = spec;
        this.summary = summary;
    }

    @Override public ModelConfig config() { return config; }

    @Override public EmbeddingSpec embeddingSpec() { return spec; }

    /**
     * The engine builds its generation cache from every model; an encoder keeps nothing, so it
     * declares the smallest possible layer (one value per token), which nothing ever writes.
     */
    @Override
    public List<LayerCacheSpec> cacheSpecs() { return List.of(new PagedKvSpec(1, 1, 1)); }

    @Override
    public void forward(ForwardBatch batch, float[] logits) {
        throw new UnsupportedOperationException(config.architecture() + " is an encoder (embedding) model: it cannot generate or score; use embed");
    }

    /** Hidden states after the last block, then pooled (and normalized when the model says so). */
    @Override
    public float[][] embed(List<int[]> sequences) {
        Kernels k = compute.kernels();
        int dim = config.dim();
        int rows = 0;
        for (int[] s : sequences) {
            if (s.length == 0) throw new IllegalArgumentException("empty input");
            if (s.length > maxTokens) throw new IllegalArgumentException("input of " + s.length + " tokens exceeds the model's " + maxTokens + " positions");
            for (int t : s) if (t < 0 || t >= config.vocabSize()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + config.vocabSize() + ")");
            rows += s.length;
        }
        float[] x = new float[rows * dim];
        float[] row = new float[dim];
        int[] pos = new int[rows];
        int r = 0;
        for (int[] s : sequences) {
            for (int p = 0; p < s.length; p++, r++) {
                pos[r] = p;
                k.dequantizeRow(tokens, s[p], x, r * dim);
                if (positions != null) {
                    k.dequantizeRow(positions, p, row, 0);
                    for (int i = 0; i < dim; i++) x[r * dim + i] = x[r * dim + i] + row[i] + tokenType0[i];
                } else {
                    for (int i = 0; i < dim; i++) x[r * dim + i] = x[r * dim + i] + tokenType0[i];
                }
            }
        }
        float[] ropeTable = rope != null ? rope.table(pos, rows) : null;
        embeddingNorm.apply(x, rows);
        float[] q = new float[rows * dim], kk = new float[rows * dim], v = new float[rows * dim];
        float[] ctx = new float[rows * dim], proj = new float[rows * dim];
        float[] hidden = new float[rows * config.ffnDim()];
        float[] gated = new float[blocks.length > 0 && blocks[0].gate() != null ? rows * config.ffnDim() : 0];
        for (Block b : blocks) {
            k.matmuls(compute.pool(), new WeightMatrix[]{b.q(), b.k(), b.v()}, x, rows, new float[][]{q, kk, v});
            addBias(q, b.qBias(), rows);
            addBias(kk, b.kBias(), rows);
            addBias(v, b.vBias(), rows);
            if (rope != null) {
                for (int i = 0; i < rows; i++) {
                    rope.apply(q, i * dim, config.heads(), config.headDim(), ropeTable, i);
                    rope.apply(kk, i * dim, config.heads(), config.headDim(), ropeTable, i);
                }
            }
            attend(k, sequences, q, kk, v, ctx);
            k.matmul(compute.pool(), b.out(), ctx, rows, proj);
            addBias(proj, b.outBias(), rows);
            k.add(x, 0, proj, 0, rows * dim);
            b.attentionNorm().apply(x, rows);
            int ffn = config.ffnDim();
            if (b.gate() != null) {
                k.matmuls(compute.pool(), new WeightMatrix[]{b.gate(), b.up()}, x, rows, new float[][]{gated, hidden});
                addBias(hidden, b.upBias(), rows);
                // Per row, as the decoder's SwiGLU: a row's rounding never depends on the batch.
                for (int i = 0; i < rows; i++) k.siluMul(gated, i * ffn, hidden, i * ffn, ffn);
                k.matmul(compute.pool(), b.down(), gated, rows, proj);
            } else {
                k.matmul(compute.pool(), b.up(), x, rows, hidden);
                addBias(hidden, b.upBias(), rows);
                int width = ffn; // per row, in parallel: a row's values never depend on the batch
                compute.pool().parallelFor(rows, t -> k.gelu(hidden, t * width, width));
                k.matmul(compute.pool(), b.down(), hidden, rows, proj);
            }
            addBias(proj, b.downBias(), rows);
            k.add(x, 0, proj, 0, rows * dim);
            b.outputNorm().apply(x, rows);
        }
        float[][] out = new float[sequences.size()][];
        int start = 0;
        for (int i = 0; i < out.length; i++) {
            int n = sequences.get(i).length;
            out[i] = spec.embedding(x, start * dim, n);
            start += n;
        }
        return out;
    }

    /**
     * Full (non-causal) attention of each sequence over itself, one head at a time; sequences and
     * heads in parallel. A head's keys are laid out dimension-major once, then query rows score
     * them sixteen at a time (Kernels.scoresBlocks) and sum values the same way
     * (Kernels.accumulateRowsMany); a row's result depends only on its own sequence.
     */
    private void attend(Kernels k, List<int[]> sequences, float[] q, float[] key, float[] v, float[] ctx) {
        int dim = config.dim(), heads = config.heads(), hd = config.headDim();
        float scale = (float) (1 / Math.sqrt(hd));
        int[] starts = new int[sequences.size()];
        for (int i = 1; i < starts.length; i++) starts[i] = starts[i - 1] + sequences.get(i - 1).length;
        compute.pool().parallelFor(sequences.size() * heads, task -> {
            int s = task / heads, h = task % heads;
            int n = sequences.get(s).length, base = starts[s];
            float[] keys = scratch(0, hd * n), scores = scratch(1, QUERY_TILE * n);
            for (int j = 0; j < n; j++) {
                for (int d = 0, o = (base + j) * dim + h * hd; d < hd; d++) keys[d * n + j] = key[o + d];
            }
            for (int i0 = 0; i0 < n; i0 += QUERY_TILE) {
                int m = Math.min(QUERY_TILE, n - i0), qOff = (base + i0) * dim + h * hd;
                k.scoresBlocks(q, qOff, dim, m, keys, 0, hd, n, scores, 0, n);
                for (int r = 0; r < m; r++) {
                    for (int j = 0; j < n; j++) scores[r * n + j] *= scale;
                    k.softmax(scores, r * n, n);
                    java.util.Arrays.fill(ctx, qOff + r * dim, qOff + r * dim + hd, 0f);
                }
                k.accumulateRowsMany(scores, 0, n, m, v, base * dim + h * hd, dim, n, ctx, qOff, dim, hd);
            }
        });
    }

    private static final int QUERY_TILE = 16;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][]{new float[0], new float[0]});

    private static float[] scratch(int i, int size) {
        float[][] s = SCRATCH.get();
        if (s[i].length < size) s[i] = new float[size];
        return s[i];
    }

    private static void addBias(float[] x, float[] bias, int rows) {
        if (bias == null) return;
        int n = bias.length;
        for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) x[r * n + i] += bias[i];
    }

    @Override
    public String describe() { return summary; }
}
