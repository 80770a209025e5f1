package dev.ember.engine.convert;

import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufTensorInfo;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.safetensors.ParityFixtures;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `ember convert` on the golden fixtures: the F32 GGUF gives the HF directory's logits within
 * 1e-5 (and so transformers' within 1e-4, with the same greedy tokens); Q8_0 is measured.
 */
class ConvertTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void f32GgufMatchesTheDirectory(String arch) throws Exception {
        checkF32(arch);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3_moe", "mixtral", "deepseek_v2", "deepseek_v3"})
    void f32GgufMatchesTheDirectoryMoe(String arch) throws Exception {
        checkF32(arch);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "gemma3n", "phi3", "phi3_short", "gpt_oss", "gpt_oss_mxfp4"})
    void f32GgufMatchesTheDirectoryIssue13Families(String arch) throws Exception {
        checkF32(arch);
    }

    private void checkF32(String arch) throws Exception {
        Path dir = ParityFixtures.modelDir(arch);
        Path gguf = tmp.resolve(arch + "-f32.gguf");
        HfToGguf.convert(dir, gguf, TensorType.F32, 2);
        int[] tokens = ParityFixtures.tokens(arch, "medium");
        float[][] fromDir;
        try (LoadedModel lm = LoadedModel.open(dir, 2)) {
            fromDir = LogitsAccess.allLogits(lm.model(), tokens);
        }
        try (LoadedModel lm = LoadedModel.open(gguf, 2)) {
            float[][] fromGguf = LogitsAccess.allLogits(lm.model(), tokens);
            double worst = 0;
            for (int p = 0; p < tokens.length; p++) {
                for (int v = 0; v < fromDir[p].length; v++) worst = Math.max(worst, Math.abs(fromDir[p][v] - fromGguf[p][v]));
            }
            assertTrue(worst <= 1e-5, arch + ": converted F32 GGUF differs from the directory by " + worst);
        }
        ParityFixtures.assertMatchesTransformers(arch, gguf);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-all-kinds", "tiny-real-ratios"})
    void deepseekV4F32GgufMatchesTheDirectory(String name) throws Exception {
        Path dir = ParityFixtures.deepseekV4Dir(name);
        Path gguf = tmp.resolve(name + "-f32.gguf");
        HfToGguf.convert(dir, gguf, TensorType.F32, 2);
        for (int length : new int[] {64, 320}) {
            int[] tokens = ParityFixtures.deepseekV4Tokens(name, length);
            float[][] fromDir;
            try (LoadedModel lm = LoadedModel.open(dir, 2)) {
                fromDir = LogitsAccess.allLogits(lm.model(), tokens);
            }
            try (LoadedModel lm = LoadedModel.open(gguf, 2)) {
                float[][] fromGguf = LogitsAccess.allLogits(lm.model(), tokens);
                double worst = 0;
                for (int p = 0; p < tokens.length; p++) {
                    for (int v = 0; v < fromDir[p].length; v++) worst = Math.max(worst, Math.abs(fromDir[p][v] - fromGguf[p][v]));
                }
                assertTrue(worst <= 1e-5, name + ", " + length + " tokens: converted F32 GGUF differs from the directory by " + worst);
            }
        }
        double golden = ParityFixtures.deepseekV4Error(name, gguf);
        assertTrue(golden <= 1e-4, name + ": converted F32 GGUF vs transformers " + golden);
    }

    /**
     * DeepSeek-V4 at F16 / Q8_0 / Q4_0: the small mixing parameters (hyper-connections, position
     * biases, sinks, router and its bias) stay F32, tid2eid stays I32, the matrices take the
     * requested type; each file loads and its logit error against transformers is printed and bounded.
     */
    @Test
    void deepseekV4QuantizedTypes() throws Exception {
        Path dir = ParityFixtures.deepseekV4Dir("tiny-all-kinds");
        for (TensorType type : new TensorType[] {TensorType.F16, TensorType.Q8_0, TensorType.Q4_0}) {
            Path gguf = tmp.resolve("v4-" + type + ".gguf");
            HfToGguf.convert(dir, gguf, type, 2);
            try (GgufFile f = GgufFile.open(gguf)) {
                assertEquals("deepseek4", f.getString("general.architecture"));
                assertEquals(HfToGguf.fileType(type), f.getInt("general.file_type"));
                assertArrayEquals(new long[] {0, 4, 8, 4}, f.getLongArray("deepseek4.attention.compress_ratios"));
                Map<String, GgufTensorInfo> t = f.tensorInfos();
                for (String n : new String[] {"blk.0.hc_attn_fn.weight", "blk.0.hc_ffn_base.weight", "blk.0.hc_attn_scale.weight",
                        "output_hc_fn.weight", "output_hc_base.weight", "blk.1.attn_compressor_ape.weight", "blk.1.indexer_compressor_ape.weight",
                        "blk.0.attn_sinks.weight", "blk.1.exp_probs_b.bias", "blk.1.ffn_gate_inp.weight", "blk.1.attn_kv_a_norm.weight",
                        "blk.1.attn_compressor_norm.weight", "output_norm.weight"}) {
                    assertEquals(TensorType.F32, t.get(n).type(), n);
                }
                assertEquals(TensorType.I32, t.get("blk.0.ffn_gate_tid2eid.weight").type());
                for (String n : new String[] {"token_embd.weight", "output.weight", "blk.1.attn_q_a.weight", "blk.1.attn_q_b.weight",
                        "blk.1.attn_output_a.weight", "blk.1.indexer.attn_q_b.weight", "blk.1.attn_compressor_kv.weight",
                        "blk.1.ffn_gate_exps.weight", "blk.1.ffn_down_exps.weight", "blk.1.ffn_up_shexp.weight"}) {
                    assertEquals(type, t.get(n).type(), n);
                }
            }
            // Bounded on the 12-token sequence, whose indexer top-k is far from ties (golden min_indexer_gap 0.68); on the
            // 320-token one the gap is 3e-4, so any rounding may pick other compressed entries: printed, not bounded.
            // Q8_0/Q4_0 bounds are loose: quantizing token_embd alone moves the 12-token logits by 0.21 (F16: 0.002), the
            // size of a jump (most likely a routed expert swapped at a near-tie of the fixture's random router; router
            // margins are not recorded in golden.json, so this is not verified), not of a smooth error.
            double err = ParityFixtures.deepseekV4Error("tiny-all-kinds", gguf, 12);
            double all = ParityFixtures.deepseekV4Error("tiny-all-kinds", gguf);
            System.out.printf("deepseek_v4 tiny-all-kinds %s: max |logit - transformers| = %.4f on 12 tokens, %.4f on all sequences%n", type, err, all);
            assertTrue(err < (type == TensorType.Q4_0 ? 2.0 : type == TensorType.Q8_0 ? 0.5 : 0.005), type + " error " + err);
        }
    }

    @Test
    void writesLlamaCppNamesKeysAndTypes() throws Exception {
        Path gguf = tmp.resolve("qwen3-q8.gguf");
        HfToGguf.convert(ParityFixtures.modelDir("qwen3"), gguf, TensorType.Q8_0, 2);
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals("qwen3", f.getString("general.architecture"));
            assertEquals(7, f.getInt("general.file_type"));
            assertEquals(2, f.getInt("qwen3.block_count"));
            assertEquals(64, f.getInt("qwen3.embedding_length"));
            assertEquals(32, f.getInt("qwen3.attention.key_length"));
            assertEquals(1e6, f.getDouble("qwen3.rope.freq_base"), 1e-3);
            Map<String, GgufTensorInfo> t = f.tensorInfos();
            assertEquals(TensorType.Q8_0, t.get("token_embd.weight").type());
            assertEquals(TensorType.Q8_0, t.get("blk.0.attn_q.weight").type());
            assertEquals(TensorType.F32, t.get("blk.0.attn_q_norm.weight").type());
            assertEquals(TensorType.F32, t.get("blk.1.ffn_norm.weight").type());
            assertEquals(TensorType.F32, t.get("output_norm.weight").type());
            assertEquals(TensorType.Q8_0, t.get("output.weight").type());
        }
        Path moe = tmp.resolve("dsv3-q8.gguf");
        HfToGguf.convert(ParityFixtures.modelDir("deepseek_v3"), moe, TensorType.Q8_0, 2);
        try (GgufFile f = GgufFile.open(moe)) {
            assertEquals("deepseek2", f.getString("general.architecture"));
            Map<String, GgufTensorInfo> t = f.tensorInfos();
            assertEquals(TensorType.F32, t.get("blk.1.ffn_gate_inp.weight").type(), "routers stay F32");
            assertEquals(TensorType.F32, t.get("blk.1.exp_probs_b.bias").type());
            assertEquals(TensorType.Q8_0, t.get("blk.1.ffn_gate_exps.weight").type());
            assertEquals(TensorType.F16, t.get("blk.0.attn_k_b.weight").type(), "rows of 16 cannot be Q8_0: F16, as llama.cpp falls back");
            assertEquals(8, t.get("blk.1.ffn_up_exps.weight").shape()[2]);
        }
    }

    /**
     * gpt-oss under llama.cpp's names, shapes and keys (sinks with a {@code .weight} suffix, the
     * norm after attention as {@code post_attention_norm}, router and expert biases, experts split
     * and transposed into GGML {@code [cols, rows, experts]}); biases, sinks and routers stay F32.
     * Then the layout of llama.cpp's gpt-oss files, experts in MXFP4 and the rest F32: its logits
     * equal (1e-5) those of the same file with the experts stored as F32 holding the MXFP4-rounded
     * values, so the MXFP4 expert path computes what the weights say.
     */
    @Test
    void gptOssNamesKeysAndMxfp4Experts() throws Exception {
        Path f32 = tmp.resolve("gpt-oss-f32.gguf");
        HfToGguf.convert(ParityFixtures.modelDir("gpt_oss"), f32, TensorType.F32, 2);
        Path mxfp4 = tmp.resolve("gpt-oss-mxfp4-experts.gguf");
        Path rounded = tmp.resolve("gpt-oss-rounded-experts.gguf");
        try (GgufFile f = GgufFile.open(f32)) {
            assertEquals("gpt-oss", f.getString("general.architecture"));
            assertEquals(16, f.getInt("gpt-oss.attention.sliding_window"));
            assertEquals(32, f.getInt("gpt-oss.expert_feed_forward_length"));
            assertEquals(4, f.getInt("gpt-oss.expert_count"));
            assertEquals(2, f.getInt("gpt-oss.expert_used_count"));
            assertEquals("yarn", f.getString("gpt-oss.rope.scaling.type"));
            assertEquals(512, f.getInt("gpt-oss.rope.scaling.original_context_length"));
            assertEquals(false, f.getBool("gpt-oss.rope.scaling.yarn_truncate", true));
            assertEquals(false, f.has("gpt-oss.attention.sliding_window_pattern"), "alternating, llama.cpp's default");
            Map<String, GgufTensorInfo> t = f.tensorInfos();
            assertArrayEquals(new long[] {4}, t.get("blk.0.attn_sinks.weight").shape());
            assertArrayEquals(new long[] {64, 32, 4}, t.get("blk.1.ffn_gate_exps.weight").shape());
            assertArrayEquals(new long[] {64, 32, 4}, t.get("blk.1.ffn_up_exps.weight").shape());
            assertArrayEquals(new long[] {32, 64, 4}, t.get("blk.1.ffn_down_exps.weight").shape());
            assertArrayEquals(new long[] {32, 4}, t.get("blk.1.ffn_gate_exps.bias").shape());
            assertArrayEquals(new long[] {64, 4}, t.get("blk.1.ffn_down_exps.bias").shape());
            assertArrayEquals(new long[] {64}, t.get("blk.3.post_attention_norm.weight").shape());
            assertArrayEquals(new long[] {4}, t.get("blk.3.ffn_gate_inp.bias").shape());
            assertArrayEquals(new long[] {64}, t.get("blk.3.attn_output.bias").shape());
            writeWithExperts(f, mxfp4, true);
            writeWithExperts(f, rounded, false);
        }
        Path q8 = tmp.resolve("gpt-oss-q8.gguf");
        HfToGguf.convert(ParityFixtures.modelDir("gpt_oss"), q8, TensorType.Q8_0, 2);
        try (GgufFile f = GgufFile.open(q8)) {
            for (String n : new String[] {"blk.0.attn_sinks.weight", "blk.0.ffn_gate_inp.weight", "blk.0.ffn_gate_inp.bias", "blk.0.ffn_up_exps.bias",
                    "blk.0.attn_q.bias", "blk.0.post_attention_norm.weight"}) {
                assertEquals(TensorType.F32, f.tensorInfos().get(n).type(), n);
            }
            assertEquals(TensorType.Q8_0, f.tensorInfos().get("blk.0.ffn_gate_exps.weight").type());
        }
        int[] tokens = ParityFixtures.tokens("gpt_oss", "medium");
        float[][] a, b;
        try (LoadedModel lm = LoadedModel.open(mxfp4, 2)) {
            a = LogitsAccess.allLogits(lm.model(), tokens);
        }
        try (LoadedModel lm = LoadedModel.open(rounded, 2)) {
            b = LogitsAccess.allLogits(lm.model(), tokens);
        }
        double worst = 0;
        for (int p = 0; p < tokens.length; p++) {
            for (int v = 0; v < a[p].length; v++) worst = Math.max(worst, Math.abs(a[p][v] - b[p][v]));
        }
        assertTrue(worst <= 1e-5, "MXFP4 experts vs their values in F32: " + worst);
    }

    /** {@code from}'s metadata and tensors, the expert matrices MXFP4 ({@code mxfp4}) or F32 rounded to MXFP4's values. */
    private static void writeWithExperts(GgufFile from, Path to, boolean mxfp4) throws Exception {
        dev.ember.engine.gguf.GgufWriter w = new dev.ember.engine.gguf.GgufWriter().putAll(from);
        for (GgufTensorInfo info : from.tensorInfos().values()) {
            String n = info.name();
            dev.ember.engine.tensor.Tensor t = from.tensor(n);
            assertEquals(TensorType.F32, t.type(), n);
            boolean expert = n.endsWith("_exps.weight");
            int k = t.cols();
            w.addTensor(n, expert && mxfp4 ? TensorType.MXFP4 : TensorType.F32, t.shape(), (first, count, out) -> {
                dev.ember.engine.tensor.Dequant.row(TensorType.F32, t.data(), first * 4L * k, count * k, out, 0);
                if (expert && !mxfp4) {
                    byte[] q = dev.ember.engine.tensor.Quantize.encode(TensorType.MXFP4, java.util.Arrays.copyOf(out, count * k));
                    dev.ember.engine.tensor.Dequant.row(TensorType.MXFP4, java.lang.foreign.MemorySegment.ofArray(q), 0, count * k, out, 0);
                }
            });
        }
        w.write(to, 2);
        try (GgufFile f = GgufFile.open(to)) {
            assertEquals(mxfp4 ? TensorType.MXFP4 : TensorType.F32, f.tensorInfos().get("blk.0.ffn_down_exps.weight").type());
        }
    }

    /**
     * Q8_0 against transformers: prints the figures the issue asks for and bounds the logit error.
     * Greedy agreement is reported, not asserted: the random fixtures' top-2 margins are often
     * below Q8_0's error (see golden.json's top2_margins), so divergence says nothing about bugs.
     */
    @Test
    void q8_0ErrorAndGreedyAgreement() throws Exception {
        for (String arch : new String[] {"llama", "qwen2", "qwen3"}) {
            Path gguf = tmp.resolve(arch + "-q8.gguf");
            HfToGguf.convert(ParityFixtures.modelDir(arch), gguf, TensorType.Q8_0, 2);
            ParityFixtures.Agreement a = ParityFixtures.agreement(arch, gguf);
            System.out.printf("Q8_0 %s: max |logit error| %.4f over %d positions, greedy %d/%d tokens agree%n",
                    arch, a.maxLogitError(), a.positions(), a.greedyAgree(), a.greedyTotal());
            assertTrue(a.maxLogitError() < 0.5, arch + " Q8_0 error " + a.maxLogitError());
        }
    }
}
