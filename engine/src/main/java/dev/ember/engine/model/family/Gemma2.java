package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Decoder;
import dev.ember.engine.model.DecoderBlock;
import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.model.GeGlu;
import dev.ember.engine.model.GroupedQueryAttention;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * Gemma 2 (llama.cpp's {@code gemma2}): GQA with NeoX RoPE whose scores are soft-capped
 * ({@code attn_logit_softcapping}) and, on the sliding layers, limited to a window; every
 * {@code sliding_window_pattern}-th layer (2: the odd ones) sees everything. Each branch is
 * normalized before and after ({@code post_attention_norm}, {@code post_ffw_norm}); the
 * embedding is scaled by sqrt(dim), the FFN is GeGLU, the output is tied and soft-capped.
 * Norm weights are stored with Gemma's +1 already added, as llama.cpp's converter writes them.
 * The query scale is {@code attention.scale} when present (Ember's converter writes
 * query_pre_attn_scalar^-0.5), else 1/sqrt(head dim) as in llama.cpp for the 2B and 9B models.
 */
final class Gemma2 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("gemma2"); }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        ModelConfig c = DenseConfigs.read(p, RopeLayout.NEOX);
        Weights w = new Weights(src, compute.kernels());
        Rope rope = DenseConfigs.rope(c, w);
        float scale = (float) p.real("attention.scale", 1.0 / Math.sqrt(c.headDim()));
        float attnCap = (float) p.real("attn_logit_softcapping", 50.0);
        int window = p.integer("attention.sliding_window", 4096);
        int period = p.integer("attention.sliding_window_pattern", 2);
        DecoderBlock[] blocks = new DecoderBlock[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            boolean sliding = period > 0 && i % period < period - 1;
            var scoring = new GroupedQueryAttention.Scoring(scale, attnCap, sliding ? window : 0);
            var attention = new GroupedQueryAttention(
                    w.matrix(b + "attn_q.weight", c.qDim(), c.dim()),
                    w.matrix(b + "attn_k.weight", c.kvDim(), c.dim()),
                    w.matrix(b + "attn_v.weight", c.vDim(), c.dim()),
                    w.matrix(b + "attn_output.weight", c.dim(), c.heads() * c.valueDim()),
                    null, null, null, null, null, rope, c.heads(), c.kvHeads(), c.headDim(), c.valueDim(), scoring);
            var ffn = new GeGlu(w.matrix(b + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    w.matrix(b + "ffn_up.weight", c.ffnDim(), c.dim()),
                    w.matrix(b + "ffn_down.weight", c.dim(), c.ffnDim()));
            blocks[i] = new DecoderBlock(w.rmsNorm(b + "attn_norm.weight", c.dim(), c.rmsEps()), attention,
                    w.rmsNorm(b + "post_attention_norm.weight", c.dim(), c.rmsEps()),
                    w.rmsNorm(b + "ffn_norm.weight", c.dim(), c.rmsEps()), ffn,
                    w.rmsNorm(b + "post_ffw_norm.weight", c.dim(), c.rmsEps()));
        }
        WeightMatrix output = w.has("output.weight") ? w.matrix("output.weight", c.vocabSize(), c.dim()) : w.matrix("token_embd.weight");
        float finalCap = (float) p.real("final_logit_softcapping", 30.0);
        String summary = Summaries.of(c, src) + String.format(", sliding window %d every %d, softcap %.0f/%.0f", window, period, attnCap, finalCap);
        return new Decoder(c, compute, w.table("token_embd.weight", c.vocabSize(), c.dim()), blocks,
                w.rmsNorm("output_norm.weight", c.dim(), c.rmsEps()), output, rope, summary,
                (float) Math.sqrt(c.dim()), finalCap);
    }
}
