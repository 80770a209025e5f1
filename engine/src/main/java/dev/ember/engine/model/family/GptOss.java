package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Decoder;
import dev.ember.engine.model.DecoderBlock;
import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.GroupedQueryAttention;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.SwiGlu;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;

import java.util.List;

/**
 * gpt-oss (llama.cpp's {@code gpt-oss}, transformers' GptOssForCausalLM): pre-norm blocks of
 * GQA with Q/K/V/O biases, NeoX RoPE with YaRN, a learned sink logit per head in the softmax and
 * a sliding window on all but every {@code period}-th layer (2: alternating, sliding first), then
 * an all-MoE FFN: the router (with bias) takes the top k logits and weighs them by their softmax;
 * experts with biases use the clamped SwiGLU {@code gate·σ(1.702·gate)·(up + 1)}
 * ({@link SwiGlu.Activation#GPT_OSS}). Untied output head. YaRN's correction range is not rounded
 * (gpt-oss's {@code truncate: false}) unless the file says {@code rope.scaling.yarn_truncate};
 * llama.cpp, which always rounds it, has no such key, so its files load as transformers computes them.
 */
final class GptOss implements ModelFamily {
    @Override public List<String> architectures() { return List.of("gpt-oss"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        ModelConfig c = DenseConfigs.read(p, RopeLayout.NEOX, false);
        Weights w = new Weights(src, compute.kernels());
        Rope rope = DenseConfigs.rope(c, w);
        int window = p.integer("attention.sliding_window");
        int period = p.integer("attention.sliding_window_pattern", 2);
        FeedForwards.RouterSpec routing = FeedForwards.softmaxOfChosen(p);
        DecoderBlock[] blocks = new DecoderBlock[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            boolean sliding = DenseConfigs.slidingLayer(i, window, period);
            var scoring = new GroupedQueryAttention.Scoring(null, 0f, sliding ? window : 0, false, w.vector(b + "attn_sinks.weight", c.heads()));
            var attention = new GroupedQueryAttention(
                    w.matrix(b + "attn_q.weight", c.qDim(), c.dim()),
                    w.matrix(b + "attn_k.weight", c.kvDim(), c.dim()),
                    w.matrix(b + "attn_v.weight", c.vDim(), c.dim()),
                    w.matrix(b + "attn_output.weight", c.dim(), c.heads() * c.valueDim()),
                    w.vector(b + "attn_q.bias", c.qDim()), w.vector(b + "attn_k.bias", c.kvDim()),
                    w.vector(b + "attn_v.bias", c.vDim()), w.vector(b + "attn_output.bias", c.dim()),
                    null, null, rope, c.heads(), c.kvHeads(), c.headDim(), c.valueDim(), scoring);
            blocks[i] = new DecoderBlock(w.rmsNorm(b + "attn_norm.weight", c.dim(), c.rmsEps()), attention,
                    w.rmsNorm(b + "post_attention_norm.weight", c.dim(), c.rmsEps()),
                    FeedForwards.forLayer(w, c, i, routing, SwiGlu.Activation.GPT_OSS));
        }
        String summary = Summaries.of(c, src) + String.format(", sliding window %d every %d, attention sinks", window, period);
        return new Decoder(c, compute, w.table("token_embd.weight", c.vocabSize(), c.dim()), blocks,
                w.rmsNorm("output_norm.weight", c.dim(), c.rmsEps()), w.matrix("output.weight", c.vocabSize(), c.dim()), rope, summary);
    }
}
