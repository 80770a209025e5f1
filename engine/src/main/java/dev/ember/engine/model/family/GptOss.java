package dev.ember.engine.model.family;

import dev.ember.engine.gguf.GgufWriter;
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
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

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

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

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

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /**
     * gpt-oss as llama.cpp's {@code gpt-oss}: the norm after attention is {@code post_attention_norm}
     * (llama.cpp's ATTN_POST_NORM, not ffn_norm), the sinks get a {@code .weight} suffix, and the
     * experts are either transformers' transposed, gate/up-interleaved float tensors, split and
     * transposed as convert_hf_to_gguf.py does, or, as openai/gpt-oss-20b and -120b are published,
     * MXFP4 blocks and scales ({@code gate_up_proj_blocks} {@code [E, 2I, H/32, 16]},
     * {@code down_proj_blocks} {@code [E, H, I/32, 16]}, gate/up interleaved by row), repacked into
     * GGUF MXFP4 stacks as its GptOssModel.repack_mxfp4 does; the expert biases are floats either way.
     */
    static final ArchTable HF = ArchTable.of("gpt-oss", List.of("GptOssForCausalLM"), GptOss::hfKeys)
            .layers(ArchTable.merge(HfNames.GQA, HfNames.QKV_BIAS, Map.of(
                    "input_layernorm.weight", "attn_norm.weight",
                    "post_attention_layernorm.weight", "post_attention_norm.weight",
                    "self_attn.o_proj.weight", "attn_output.weight",
                    "self_attn.sinks", "attn_sinks.weight",
                    "mlp.router.weight", "ffn_gate_inp.weight",
                    "mlp.router.bias", "ffn_gate_inp.bias",
                    "mlp.experts.down_proj_bias", "ffn_down_exps.bias")))
            .fusedExperts(Map.of("mlp.experts.gate_up_proj", List.of("ffn_gate_exps.weight", "ffn_up_exps.weight"),
                    "mlp.experts.gate_up_proj_bias", List.of("ffn_gate_exps.bias", "ffn_up_exps.bias"),
                    "mlp.experts.down_proj", List.of("ffn_down_exps.weight")))
            .fusedTransposed()
            .mxfp4Experts(Map.of("mlp.experts.gate_up_proj_blocks", List.of("ffn_gate_exps.weight", "ffn_up_exps.weight"),
                    "mlp.experts.down_proj_blocks", List.of("ffn_down_exps.weight")))
            .build();

    /**
     * GptOssModel.set_gguf_parameters: the window and the expert width; Ember adds the sliding
     * period read from {@code layer_types} and YaRN's {@code truncate}, written even when absent
     * (then true, transformers' default) because a gpt-oss file without the key means gpt-oss's
     * own {@code truncate: false} (see GptOss).
     */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gpt-oss.";
        m.u32(a + "attention.sliding_window", c.integer("sliding_window"));
        m.u32(a + "expert_feed_forward_length", c.integer("intermediate_size"));
        long period = CommonKeys.slidingPeriod(c, 2);
        if (period != 2) m.u32(a + "attention.sliding_window_pattern", period);
        if (m.has(a + "rope.scaling.type") && !m.has(a + "rope.scaling.yarn_truncate")) m.bool(a + "rope.scaling.yarn_truncate", true);
        if (!c.bool("attention_bias", true)) throw c.invalid("attention_bias", "only true is supported (llama.cpp's gpt-oss requires the biases)");
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // gpt-oss-20b's shapes (config.json of openai/gpt-oss-20b) in 4 of its 24 layers: 64 query
            // heads of 64 (4096 wide, wider than the 2880 hidden size) over 8 KV heads, window 128 on
            // alternate layers, 32 experts of 2880 top-4, YaRN 32 over 4096 (theta 150000), o200k's
            // 201088-token vocabulary (synthetic BPE here, gpt-4o split; <|endoftext|> at 199999).
            new Preset("gpt-oss-20b-mini", "gpt-oss", 2880, 4, 131072, 150000, 1e-5, false, 0.02,
                    new SynthAttention(64, 8, 64, 128, 2, 32f, 4096), new SynthFeedForward(32, 4, 2880),
                    new Preset.Vocab(201088, "gpt-4o", 199999)),
            // gpt-oss-tiny's window (16) is shorter than most test prompts.
            new Preset("gpt-oss-tiny", "gpt-oss", 64, 4, 4096, 150000, 1e-5, false, 0.02,
                    new SynthAttention(4, 2, 16, 16, 2, 4f, 512), new SynthFeedForward(4, 2, 64),
                    new Preset.Vocab(512, "qwen2", 509)));

    /**
     * gpt-oss's attention as llama.cpp's {@code gpt-oss} stores it: GQA with Q/K/V/O biases and a
     * sink logit per head (random, F32), a window on all but every {@code period}-th layer, YaRN
     * ({@code yarnFactor} over {@code originalContext}) when the factor is > 1.
     */
    record SynthAttention(int heads, int kvHeads, int headDim, int window, int period, float yarnFactor, int originalContext) implements Preset.Attention {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            new Preset.GqaAttention(heads, kvHeads, headDim, false).tensors(p, layer, out);
            String b = "blk." + layer + ".";
            out.add(new Preset.TensorSpec(b + "attn_q.bias", new long[]{(long) heads * headDim}, Preset.Init.ROUTER));
            out.add(new Preset.TensorSpec(b + "attn_k.bias", new long[]{(long) kvHeads * headDim}, Preset.Init.ROUTER));
            out.add(new Preset.TensorSpec(b + "attn_v.bias", new long[]{(long) kvHeads * headDim}, Preset.Init.ROUTER));
            out.add(new Preset.TensorSpec(b + "attn_output.bias", new long[]{p.hidden()}, Preset.Init.ROUTER));
            out.add(new Preset.TensorSpec(b + "attn_sinks.weight", new long[]{heads}, Preset.Init.ROUTER));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            new Preset.GqaAttention(heads, kvHeads, headDim, false).metadata(p, w);
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.sliding_window", window);
            if (period != 2) w.putUInt32(a + "attention.sliding_window_pattern", period);
            if (yarnFactor > 1) {
                w.putString(a + "rope.scaling.type", "yarn");
                w.putFloat32(a + "rope.scaling.factor", yarnFactor);
                w.putUInt32(a + "rope.scaling.original_context_length", originalContext);
            }
        }
    }

    /**
     * gpt-oss's all-MoE block: the norm after attention ({@code post_attention_norm}), a router
     * with a bias, {@code experts} experts of width {@code expertSize} with biases (random, F32), top {@code used}.
     */
    record SynthFeedForward(int experts, int used, int expertSize) implements Preset.FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(Preset.TensorSpec.norm(b + "post_attention_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.router(b + "ffn_gate_inp.weight", p.hidden(), experts));
            out.add(new Preset.TensorSpec(b + "ffn_gate_inp.bias", new long[]{experts}, Preset.Init.ROUTER));
            out.add(Preset.TensorSpec.experts(b + "ffn_gate_exps.weight", p.hidden(), expertSize, experts));
            out.add(Preset.TensorSpec.experts(b + "ffn_up_exps.weight", p.hidden(), expertSize, experts));
            out.add(Preset.TensorSpec.experts(b + "ffn_down_exps.weight", expertSize, p.hidden(), experts));
            out.add(new Preset.TensorSpec(b + "ffn_gate_exps.bias", new long[]{expertSize, experts}, Preset.Init.ROUTER));
            out.add(new Preset.TensorSpec(b + "ffn_up_exps.bias", new long[]{expertSize, experts}, Preset.Init.ROUTER));
            out.add(new Preset.TensorSpec(b + "ffn_down_exps.bias", new long[]{p.hidden(), experts}, Preset.Init.ROUTER));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "feed_forward_length", expertSize);
            w.putUInt32(a + "expert_feed_forward_length", expertSize);
            w.putUInt32(a + "expert_count", experts);
            w.putUInt32(a + "expert_used_count", used);
        }
    }
}
