package dev.ember.engine.model;

import dev.ember.engine.tensor.WeightMatrix;

/**
 * Builds a layer's FFN from the tensors it has: a MoE when the layer has a router
 * ({@code ffn_gate_inp}), else a dense SwiGLU. So leading dense layers (DeepSeek's
 * first_k_dense_replace), dense-only layers and Mixtral-style all-MoE stacks need no flags.
 */
public final class FeedForwards {
    private FeedForwards() {}

    /** How a family routes: everything but the per-layer tensors. */
    public interface RouterSpec {
        ExpertRouter router(Weights w, String blockPrefix, int experts);
    }

    public static FeedForward forLayer(Weights w, ModelConfig c, int layer, RouterSpec routing) {
        return forLayer(w, c, layer, routing, SwiGlu.Activation.SILU);
    }

    /**
     * As above, the routed experts combining gate and up by {@code experts}; a router bias
     * ({@code ffn_gate_inp.bias}) and expert biases ({@code ffn_*_exps.bias}) are used when the
     * layer has them (gpt-oss).
     */
    public static FeedForward forLayer(Weights w, ModelConfig c, int layer, RouterSpec routing, SwiGlu.Activation expertActivation) {
        String b = "blk." + layer + ".";
        if (!w.has(b + "ffn_gate_inp.weight")) {
            if (!w.has(b + "ffn_gate.weight") && w.has(b + "ffn_up.weight")) {
                // Gate and up fused in one ffn_up of 2·ffn rows, gate first (Phi-3's gate_up_proj;
                // llama.cpp's LLM_FFN_SWIGLU on a single tensor).
                WeightMatrix[] gateUp = w.rowSplit(b + "ffn_up.weight", c.dim(), c.ffnDim(), c.ffnDim());
                return new SwiGlu(gateUp[0], gateUp[1], w.matrix(b + "ffn_down.weight", c.dim(), c.ffnDim()));
            }
            return new SwiGlu(w.matrix(b + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    w.matrix(b + "ffn_up.weight", c.ffnDim(), c.dim()),
                    w.matrix(b + "ffn_down.weight", c.dim(), c.ffnDim()));
        }
        if (routing == null) throw new ModelLoadException(w.source().origin() + ": layer " + layer + " has experts but " + c.architecture() + " has no router settings");
        var router = w.matrix(b + "ffn_gate_inp.weight");
        ExpertWeights experts = ExpertWeights.of(w.source(), b + "ffn_gate_exps.weight", b + "ffn_up_exps.weight", b + "ffn_down_exps.weight").map(w::prepare)
                .withBiases(w, b + "ffn_gate_exps.bias", b + "ffn_up_exps.bias", b + "ffn_down_exps.bias");
        SwiGlu shared = null;
        if (w.has(b + "ffn_gate_shexp.weight")) {
            shared = new SwiGlu(w.matrix(b + "ffn_gate_shexp.weight"), w.matrix(b + "ffn_up_shexp.weight"), w.matrix(b + "ffn_down_shexp.weight"));
        }
        float[] routerBias = w.optionalVector(b + "ffn_gate_inp.bias", router.rows());
        return new MixtureOfExperts(router, routerBias, routing.router(w, b, experts.count()), experts, shared, expertActivation);
    }

    /** Softmax, top-k and renormalization (Mixtral, Qwen3-MoE with norm_topk_prob). */
    public static RouterSpec softmaxTopK(ModelParams p, boolean normalizeByDefault) {
        int topK = p.integer("expert_used_count");
        boolean normalize = p.bool("expert_weights_norm", normalizeByDefault);
        return (w, b, n) -> new ExpertRouter(n, topK, ExpertRouter.Scoring.SOFTMAX, null, 1, 1, ExpertRouter.GroupScore.MAX, normalize, 1f);
    }

    /** Top-k of the logits, then a softmax over the chosen (gpt-oss). */
    public static RouterSpec softmaxOfChosen(ModelParams p) {
        int topK = p.integer("expert_used_count");
        return (w, b, n) -> new ExpertRouter(n, topK, ExpertRouter.Scoring.SOFTMAX_CHOSEN, null, 1, 1, ExpertRouter.GroupScore.MAX, false, 1f);
    }
}
