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

    @Override
    public void forward(ForwardContext ctx, float[] in, float[] out) {
        Kernels k = ctx.kernels();
        int rows = ctx.rows();
        int dim = router.cols();
        int n = experts.count();
        int topK = routing.topK();
        float[] logits = new float[rows * n];
        k.matmul(ctx.pool(), router, in, rows, logits);
        if (routerBias != null) for (int r = 0; r < rows; r++) k.add(logits, r * n, routerBias, 0, n);
        int[] ids = new int[rows * topK];
        float[] weights = new float[rows * topK];
        float[] scratch = new float[2 * n];
        int[] perExpert = new int[n];
        int[] rowIds = new int[topK];
        float[] rowWeights = new float[topK];
        for (int r = 0; r < rows; r++) {
            routing.route(logits, r * n, rowIds, rowWeights, scratch, ctx.batch().tokens()[r]);
            System.arraycopy(rowIds, 0, ids, r * topK, topK);
            System.arraycopy(rowWeights, 0, weights, r * topK, topK);
            for (int j = 0; j < topK; j++) perExpert[rowIds[j]]++;
        }
        java.util.Arrays.fill(out, 0, rows * dim, 0f);
        for (int e = 0; e < n; e++) {
            int count = perExpert[e];
            if (count == 0) continue;
            int[] members = new int[count];
            float[] memberWeights = new float[count];
            int m = 0;
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < topK; j++) {
                    if (ids[r * topK + j] == e) {
                        members[m] = r;
                        memberWeights[m++] = weights[r * topK + j];
                    }
                }
            }
            float[] x = new float[count * dim];
            for (int i = 0; i < count; i++) System.arraycopy(in, members[i] * dim, x, i * dim, dim);
            float[] y = new float[count * dim];
            new SwiGlu(experts.gate()[e], experts.up()[e], experts.down()[e], activation, experts.biases(e)).forward(ctx, x, count, y);
            for (int i = 0; i < count; i++) k.axpy(memberWeights[i], y, i * dim, out, members[i] * dim, dim);
        }
        if (shared != null) {
            float[] s = new float[rows * dim];
            shared.forward(ctx, in, rows, s);
            k.add(out, 0, s, 0, rows * dim);
        }
    }
}
