package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Decoder;
import dev.ember.engine.model.DecoderBlock;
import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.model.GeGlu;
import dev.ember.engine.model.GroupedQueryAttention;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * The decoder Gemma 2 and 3 share: GQA with NeoX RoPE, a sliding window on all but every
 * {@code period}-th layer, each branch normed before and after ({@code post_attention_norm},
 * {@code post_ffw_norm}), embeddings scaled by sqrt(dim), GeGLU, tied output. Norm weights hold
 * Gemma's 1 + w, as llama.cpp's converter writes them. The query scale is
 * {@code attention.scale} when present (Ember's converter writes query_pre_attn_scalar^-0.5),
 * else 1/sqrt(head dim) as llama.cpp uses for every size but 27B. Each family states the rest.
 *
 * @param qkNorm        per-head RMSNorm of Q and K (Gemma 3)
 * @param window        default window when {@code attention.sliding_window} is absent (0: no sliding layers)
 * @param period        default sliding-window period (llama.cpp: 2 for gemma2, 6 for gemma3)
 * @param attnSoftcap   default attention soft-cap (0: none)
 * @param finalSoftcap  default final logit soft-cap (0: none)
 * @param localRope     sliding layers use {@code rope.freq_base_swa} without scaling (Gemma 3)
 */
record GemmaDecoder(boolean qkNorm, int window, int period, double attnSoftcap, double finalSoftcap, boolean localRope) {

    Decoder build(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        ModelConfig c = DenseConfigs.read(p, RopeLayout.NEOX);
        Weights w = new Weights(src, compute.kernels());
        Rope rope = DenseConfigs.rope(c, w);
        Rope local = localRope ? new Rope(c.ropeDims(), p.real("rope.freq_base_swa", 10000.0), RopeLayout.NEOX, RopeScaling.NONE, null) : rope;
        float scale = (float) p.real("attention.scale", 1.0 / Math.sqrt(c.headDim()));
        float attnCap = (float) p.real("attn_logit_softcapping", attnSoftcap);
        int window = p.integer("attention.sliding_window", this.window);
        int every = p.integer("attention.sliding_window_pattern", period);
        DecoderBlock[] blocks = new DecoderBlock[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            boolean sliding = DenseConfigs.slidingLayer(i, window, every);
            var scoring = new GroupedQueryAttention.Scoring(scale, attnCap, sliding ? window : 0, sliding && localRope);
            var attention = new GroupedQueryAttention(
                    w.matrix(b + "attn_q.weight", c.qDim(), c.dim()),
                    w.matrix(b + "attn_k.weight", c.kvDim(), c.dim()),
                    w.matrix(b + "attn_v.weight", c.vDim(), c.dim()),
                    w.matrix(b + "attn_output.weight", c.dim(), c.heads() * c.valueDim()),
                    null, null, null,
                    qkNorm ? w.rmsNorm(b + "attn_q_norm.weight", c.headDim(), c.rmsEps()) : null,
                    qkNorm ? w.rmsNorm(b + "attn_k_norm.weight", c.headDim(), c.rmsEps()) : null,
                    sliding ? local : rope, c.heads(), c.kvHeads(), c.headDim(), c.valueDim(), scoring);
            var ffn = new GeGlu(w.matrix(b + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    w.matrix(b + "ffn_up.weight", c.ffnDim(), c.dim()),
                    w.matrix(b + "ffn_down.weight", c.dim(), c.ffnDim()));
            blocks[i] = new DecoderBlock(w.rmsNorm(b + "attn_norm.weight", c.dim(), c.rmsEps()), attention,
                    w.rmsNorm(b + "post_attention_norm.weight", c.dim(), c.rmsEps()),
                    w.rmsNorm(b + "ffn_norm.weight", c.dim(), c.rmsEps()), ffn,
                    w.rmsNorm(b + "post_ffw_norm.weight", c.dim(), c.rmsEps()));
        }
        WeightMatrix output = w.has("output.weight") ? w.matrix("output.weight", c.vocabSize(), c.dim()) : w.matrix("token_embd.weight");
        float finalCap = (float) p.real("final_logit_softcapping", finalSoftcap);
        String summary = Summaries.of(c, src) + String.format(", sliding window %d every %d, softcap %.0f/%.0f", window, every, attnCap, finalCap);
        return new Decoder(c, compute, w.table("token_embd.weight", c.vocabSize(), c.dim()), blocks,
                w.rmsNorm("output_norm.weight", c.dim(), c.rmsEps()), output, rope, summary,
                (float) Math.sqrt(c.dim()), finalCap);
    }
}
