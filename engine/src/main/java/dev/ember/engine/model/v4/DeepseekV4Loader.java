package dev.ember.engine.model.v4;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.ExpertRouter;
import dev.ember.engine.model.ExpertWeights;
import dev.ember.engine.model.FeedForward;
import dev.ember.engine.model.MixtureOfExperts;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;
import dev.ember.engine.model.SwiGlu;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Wires DeepSeek-V4 (GGUF {@code deepseek4}) from llama.cpp's tensor names and metadata keys:
 * per layer, the kind from {@code attention.compress_ratios} (0 sliding window, 4 CSA, else HCA),
 * hash routing in the first {@code hash_layer_count} layers, sqrt-softplus routing elsewhere.
 */
public final class DeepseekV4Loader {
    private DeepseekV4Loader() {}

    public static Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        Weights w = new Weights(src, compute.kernels());
        int dim = p.integer("embedding_length");
        int nLayers = p.integer("block_count");
        int heads = p.integer("attention.head_count");
        int headDim = p.integer("attention.key_length");
        int rd = p.integer("rope.dimension_count");
        int window = p.integer("attention.sliding_window");
        float eps = (float) p.real("attention.layer_norm_rms_epsilon", 1e-6);
        int n = p.integer("hyper_connection.count");
        int iters = p.integer("hyper_connection.sinkhorn_iterations", 20);
        float hcEps = (float) p.real("hyper_connection.epsilon", 1e-6);
        int groups = p.integer("attention.output_group_count");
        int oRank = p.integer("attention.output_lora_rank");
        int hashLayers = p.integer("hash_layer_count", 0);
        int gating = p.integer("expert_gating_func", 4);
        if (gating != 4) throw new ModelLoadException(src.origin() + ": DeepSeek-V4 expects sqrt-softplus expert gating (4), found " + gating);
        long[] ratios = longArray(p, "attention.compress_ratios");
        if (ratios.length < nLayers) throw new ModelLoadException(src.origin() + ": attention.compress_ratios has " + ratios.length + " entries for " + nLayers + " layers");
        long[] clamps = longOrFloatArrayAsFloats(p, "swiglu_clamp_exp", nLayers);
        int vocab = src.tensor("token_embd.weight").rows();
        ModelConfig c = new ModelConfig("deepseek4", vocab, dim, nLayers, heads, 1, headDim, headDim,
                p.integer("expert_feed_forward_length"), eps, p.integer("context_length", 1 << 20),
                p.real("rope.freq_base", 10000.0), rd, RopeLayout.NORMAL, RopeScaling.NONE);
        Rope mainRope = new Rope(rd, c.ropeTheta(), RopeLayout.NORMAL, RopeScaling.NONE, null);
        RopeScaling yarn = RopeScaling.NONE;
        if ("yarn".equals(p.string("rope.scaling.type", "none"))) {
            // V4's compressed layers use YaRN without an attention factor (cos/sin times 1.0).
            yarn = RopeScaling.yarn((float) p.real("rope.scaling.factor", 1.0), p.integer("rope.scaling.original_context_length"),
                    (float) p.real("rope.scaling.yarn_beta_fast", 32.0), (float) p.real("rope.scaling.yarn_beta_slow", 1.0), 1.0f);
        }
        Rope compressRope = new Rope(rd, p.real("attention.compress_rope_freq_base", c.ropeTheta()), RopeLayout.NORMAL, yarn, null);
        int indexHeads = p.integer("attention.indexer.head_count", 0);
        int indexDim = p.integer("attention.indexer.key_length", 0);
        int indexTopK = p.integer("attention.indexer.top_k", 0);
        int topK = p.integer("expert_used_count");
        float routeScale = (float) p.real("expert_weights_scale", 1.0);
        boolean normalize = p.bool("expert_weights_norm", true);

        HyperDecoder.Layer[] layers = new HyperDecoder.Layer[nLayers];
        for (int i = 0; i < nLayers; i++) {
            String b = "blk." + i + ".";
            int ratio = (int) ratios[i];
            V4Attention.Kind kind = ratio == 0 ? V4Attention.Kind.SLIDING : ratio == 4 ? V4Attention.Kind.CSA : V4Attention.Kind.HCA;
            Rope rope = kind == V4Attention.Kind.SLIDING ? mainRope : compressRope;
            Compressor compressor = null;
            Indexer indexer = null;
            if (kind != V4Attention.Kind.SLIDING) {
                boolean overlap = kind == V4Attention.Kind.CSA;
                compressor = compressor(w, b + "attn_compressor_", ratio, headDim, overlap, rope, eps);
                if (overlap) {
                    Compressor ic = compressor(w, b + "indexer_compressor_", ratio, indexDim, true, rope, eps);
                    indexer = new Indexer(ic, w.matrix(b + "indexer.attn_q_b.weight", indexHeads * indexDim, w.matrix(b + "attn_q_a.weight").rows()),
                            w.matrix(b + "indexer.proj.weight", indexHeads, dim), rope, indexHeads, indexDim, indexTopK);
                }
            }
            WeightMatrix[] woA = outputGroups(src, b + "attn_output_a.weight", groups, oRank, heads * headDim / groups);
            V4Attention attention = new V4Attention(kind,
                    w.matrix(b + "attn_q_a.weight"), w.rmsNorm(b + "attn_q_a_norm.weight", w.matrix(b + "attn_q_a.weight").rows(), eps),
                    w.matrix(b + "attn_q_b.weight", heads * headDim, w.matrix(b + "attn_q_a.weight").rows()),
                    w.matrix(b + "attn_kv.weight", headDim, dim), w.rmsNorm(b + "attn_kv_a_norm.weight", headDim, eps),
                    woA, w.matrix(b + "attn_output_b.weight", dim, groups * oRank), w.vector(b + "attn_sinks.weight", heads),
                    compressor, indexer, rope, nLayers, heads, headDim, window, eps);
            float clamp = clamps[i] == 0 ? 0f : Float.intBitsToFloat((int) clamps[i]);
            ExpertWeights experts = ExpertWeights.of(src, b + "ffn_gate_exps.weight", b + "ffn_up_exps.weight", b + "ffn_down_exps.weight").map(w::prepare);
            int e = experts.count();
            ExpertRouter router = new ExpertRouter(e, topK, ExpertRouter.Scoring.SQRT_SOFTPLUS,
                    i < hashLayers ? null : w.optionalVector(b + "exp_probs_b.bias", e), 1, 1, ExpertRouter.GroupScore.MAX, normalize, routeScale);
            if (i < hashLayers) router = router.withHashTable(hashTable(src, b + "ffn_gate_tid2eid.weight", vocab, topK, e));
            SwiGlu shared = w.has(b + "ffn_gate_shexp.weight")
                    ? new SwiGlu(w.matrix(b + "ffn_gate_shexp.weight"), w.matrix(b + "ffn_up_shexp.weight"), w.matrix(b + "ffn_down_shexp.weight"), clamp)
                    : null;
            FeedForward ffn = new MixtureOfExperts(w.matrix(b + "ffn_gate_inp.weight", e, dim), router, experts, shared, clamp);
            layers[i] = new HyperDecoder.Layer(hyperConnection(w, b + "hc_attn_", n, dim, iters, hcEps, eps),
                    w.rmsNorm(b + "attn_norm.weight", dim, eps), attention,
                    hyperConnection(w, b + "hc_ffn_", n, dim, iters, hcEps, eps), w.rmsNorm(b + "ffn_norm.weight", dim, eps), ffn);
        }
        HyperHead head = new HyperHead(w.matrix("output_hc_fn.weight", n, n * dim), w.vector("output_hc_base.weight", n),
                w.vector("output_hc_scale.weight", 1)[0], n, dim, hcEps, eps);
        int csa = 0, hca = 0;
        for (long r : java.util.Arrays.copyOf(ratios, nLayers)) { if (r == 4) csa++; else if (r != 0) hca++; }
        String summary = String.format("deepseek4: %d layers (%d sliding, %d CSA, %d HCA), dim %d, %d heads x %d (1 KV head, K=V), window %d,"
                        + " indexer %d heads x %d top %d, mHC %d streams, %d experts top %d (%d hash layers), vocab %d",
                nLayers, nLayers - csa - hca, csa, hca, dim, heads, headDim, window, indexHeads, indexDim, indexTopK, n,
                p.integer("expert_count", 0), topK, hashLayers, vocab);
        return new HyperDecoder(c, compute, w.table("token_embd.weight", vocab, dim), layers, head,
                w.rmsNorm("output_norm.weight", dim, eps), w.matrix("output.weight", vocab, dim), n, summary);
    }

    private static Compressor compressor(Weights w, String prefix, int ratio, int width, boolean overlap, Rope rope, float eps) {
        int cw = overlap ? 2 * width : width;
        return new Compressor(w.matrix(prefix + "kv.weight", cw, w.matrix(prefix + "kv.weight").cols()), w.matrix(prefix + "gate.weight", cw, w.matrix(prefix + "gate.weight").cols()),
                w.vector(prefix + "ape.weight", ratio * cw), w.rmsNorm(prefix + "norm.weight", width, eps), rope, ratio, width, overlap);
    }

    private static HyperConnection hyperConnection(Weights w, String prefix, int n, int dim, int iters, float hcEps, float eps) {
        int mixes = (2 + n) * n;
        return new HyperConnection(w.matrix(prefix + "fn.weight", mixes, n * dim), w.vector(prefix + "base.weight", mixes),
                w.vector(prefix + "scale.weight", 3), n, dim, iters, hcEps, eps);
    }

    /** W_oa per group: llama.cpp stores it 3-D ({@code [in, rank, groups]}) or 2-D ({@code [in, rank·groups]}). */
    private static WeightMatrix[] outputGroups(WeightSource src, String name, int groups, int rank, int in) {
        Tensor t = src.tensor(name);
        WeightMatrix[] out = new WeightMatrix[groups];
        if (t.shape().length == 3) {
            for (int g = 0; g < groups; g++) out[g] = t.slice(g);
        } else {
            WeightMatrix m = t.asMatrix();
            if (m.rows() != groups * rank || m.cols() != in) {
                throw new ModelLoadException(src.origin() + ": " + name + " is " + m.rows() + "x" + m.cols() + ", expected " + groups * rank + "x" + in);
            }
            long bytes = (long) rank * m.rowBytes();
            for (int g = 0; g < groups; g++) out[g] = new WeightMatrix(name + "[" + g + "]", m.type(), rank, in, m.data().asSlice(g * bytes, bytes));
        }
        return out;
    }

    /** tid2eid as token-major ints: {@code table[token * topK + k]}, checked against the expert count. */
    private static int[] hashTable(WeightSource src, String name, int vocab, int topK, int experts) {
        Tensor t = src.tensor(name);
        if (t.type() != TensorType.I32 && t.type() != TensorType.F32) {
            throw new ModelLoadException(src.origin() + ": " + name + " should be I32, found " + t.type());
        }
        if (t.elementCount() != (long) vocab * topK) {
            throw new ModelLoadException(src.origin() + ": " + name + " has " + t.elementCount() + " entries, expected vocab x top-k = " + (long) vocab * topK);
        }
        int[] table = new int[vocab * topK];
        for (int i = 0; i < table.length; i++) {
            int v = t.type() == TensorType.I32 ? t.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i)
                    : (int) t.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
            if (v < 0 || v >= experts) throw new ModelLoadException(src.origin() + ": " + name + " routes to expert " + v + " of " + experts);
            table[i] = v;
        }
        return table;
    }

    private static long[] longArray(ModelParams p, String key) {
        Object v = p.source().metadata().get(p.arch() + "." + key);
        if (v instanceof long[] a) return a;
        throw new ModelLoadException(p.source().origin() + ": missing or non-integer-array metadata '" + p.arch() + "." + key + "'");
    }

    /** A per-layer float array (llama.cpp writes swiglu_clamp_exp as floats), as raw float bits; absent means no clamp. */
    private static long[] longOrFloatArrayAsFloats(ModelParams p, String key, int layers) {
        Object v = p.source().metadata().get(p.arch() + "." + key);
        long[] out = new long[layers];
        if (v == null) return out;
        if (v instanceof double[] d) {
            for (int i = 0; i < layers; i++) out[i] = Float.floatToIntBits((float) d[Math.min(i, d.length - 1)]);
        } else if (v instanceof Double d) {
            java.util.Arrays.fill(out, Float.floatToIntBits(d.floatValue()));
        } else {
            throw new ModelLoadException(p.source().origin() + ": metadata '" + p.arch() + "." + key + "' should be floats");
        }
        return out;
    }
}
