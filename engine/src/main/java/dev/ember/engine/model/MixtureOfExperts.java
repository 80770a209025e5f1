package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * A mixture-of-experts SwiGLU FFN with optional always-on shared experts, an optional router bias
 * and per-expert biases (gpt-oss). Tokens are grouped
 * per expert, so in a multi-token forward each chosen expert's weights are read once for all
 * its tokens. Each token sums its experts' outputs in expert-index order and then adds the
 * shared expert, so its result does not depend on the rest of the batch.
 */
public final class MixtureOfExperts implements FeedForward {
    private final WeightMatrix router;
    private final ExpertRouter routing;
    private final ExpertWeights experts;
    private final SwiGlu shared;
    private final float[] routerBias;
    private final SwiGlu.Activation activation;

    /** {@code shared} may be null. */
    public MixtureOfExperts(WeightMatrix router, ExpertRouter routing, ExpertWeights experts, SwiGlu shared) {
        this(router, routing, experts, shared, 0f);
    }

    /** With {@code clamp} > 0 the routed experts use the clamped SwiGLU (DeepSeek-V4). */
    public MixtureOfExperts(WeightMatrix router, ExpertRouter routing, ExpertWeights experts, SwiGlu shared, float clamp) {
        this(router, null, routing, experts, shared, SwiGlu.Activation.clamped(clamp));
    }

    /** {@code routerBias} (may be null) is added to the router logits; the routed experts use {@code activation}. */
    public MixtureOfExperts(WeightMatrix router, float[] routerBias, ExpertRouter routing, ExpertWeights experts, SwiGlu shared,
                            SwiGlu.Activation activation) {
        this.routerBias = routerBias;
        this.activation = activation;
        if (routerBias != null && routerBias.length != router.rows()) {
            throw new ModelLoadException(router.name() + ": router bias has " + routerBias.length + " entries for " + router.rows() + " experts");
        }
        this.router = router;
        this.routing = routing;
        this.experts = experts;
        this.shared = shared;
        if (router.rows() != experts.count()) {
            throw new ModelLoadException(router.name() + ": router has " + router.rows() + " outputs for " + experts.count() + " experts");
        }
    }

    private static final ForwardScratch.Slot EXPERT_INPUT = new ForwardScratch.Slot("moe expert input");
    private static final ForwardScratch.Slot EXPERT_OUTPUT = new ForwardScratch.Slot("moe expert output");
    private static final ForwardScratch.Slot EXPERT_OUTPUTS = new ForwardScratch.Slot("moe expert outputs");
    private static final ForwardScratch.Slot SHARED_OUTPUT = new ForwardScratch.Slot("moe shared expert output");

    @Override
    public void forward(ForwardContext ctx, float[] in, float[] out) {
        Kernels k = ctx.kernels();
        int rows = ctx.rows();
        int dim = router.cols();
        int n = experts.count();
        int topK = routing.topK();
        float[] logits = new float[rows * n];
        k.matmul(ctx.pool(), router, in, rows, logits);
        int[] ids = new int[rows * topK];
        float[] weights = new float[rows * topK];
        int[] tokens = ctx.batch().tokens();
        ctx.pool().parallelFor(rows, r -> { // rows route independently
            if (routerBias != null) k.add(logits, r * n, routerBias, 0, n);
            int[] rowIds = new int[topK];
            float[] rowWeights = new float[topK];
            routing.route(logits, r * n, rowIds, rowWeights, new float[2 * n], tokens[r]);
            System.arraycopy(rowIds, 0, ids, r * topK, topK);
            System.arraycopy(rowWeights, 0, weights, r * topK, topK);
        });
        // Group the (row, choice) pairs by expert, rows ascending within each: expert e's pairs are
        // slots [start[e], start[e + 1]) of `members`, and each pair knows its slot.
        int[] start = new int[n + 1];
        for (int i = 0; i < rows * topK; i++) start[ids[i] + 1]++;
        for (int e = 0; e < n; e++) start[e + 1] += start[e];
        int[] members = new int[rows * topK];
        int[] slotOf = new int[rows * topK];
        int[] fill = java.util.Arrays.copyOf(start, n);
        for (int i = 0; i < rows * topK; i++) {
            int slot = fill[ids[i]]++;
            members[slot] = i / topK;
            slotOf[i] = slot;
        }
        // Each chosen expert runs once over all its rows; its outputs go to its slots of `outputs`.
        ForwardScratch scratch = ctx.scratch();
        float[] outputs = scratch.floats(EXPERT_OUTPUTS, rows * topK * dim);
        for (int e = 0; e < n; e++) {
            int count = start[e + 1] - start[e], first = start[e];
            if (count == 0) continue;
            float[] ex = scratch.floatsAtLeast(EXPERT_INPUT, count * dim);
            ctx.pool().parallelFor(count, i -> System.arraycopy(in, members[first + i] * dim, ex, i * dim, dim));
            float[] one = scratch.floatsAtLeast(EXPERT_OUTPUT, count * dim);
            new SwiGlu(experts.gate()[e], experts.up()[e], experts.down()[e], activation, experts.biases(e)).forward(ctx, ex, count, one);
            System.arraycopy(one, 0, outputs, first * dim, count * dim);
        }
        float[] s = shared == null ? null : scratch.floats(SHARED_OUTPUT, rows * dim);
        if (shared != null) shared.forward(ctx, in, rows, s);
        // Per row: its experts' outputs in expert-index order (a repeated expert in choice order), then
        // the shared expert, so a row's sum does not depend on the rest of the batch.
        ctx.pool().parallelFor(rows, r -> {
            int o = r * dim, base = r * topK;
            int[] order = new int[topK];
            for (int j = 0; j < topK; j++) {
                int at = j;
                while (at > 0 && ids[base + order[at - 1]] > ids[base + j]) {
                    order[at] = order[at - 1];
                    at--;
                }
                order[at] = j;
            }
            java.util.Arrays.fill(out, o, o + dim, 0f);
            for (int j : order) {
                int i = base + j, e = ids[i];
                k.axpy(weights[i], outputs, slotOf[i] * dim, out, o, dim);
            }
            if (s != null) k.add(out, o, s, o, dim);
        });
    }
}
