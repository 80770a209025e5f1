package dev.ember.engine.gguf;

import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real stories260K files read right: header, metadata, tensor list and data placement. */
class GgufFileTest {
    static final Path MODELS = Path.of(System.getProperty("ember.shared.dir", "../shared"), "models");

    @Test
    void stories260KMetadata() {
        try (GgufFile f = GgufFile.open(MODELS.resolve("stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(32, f.alignment());
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals("llama", f.getString("tokenizer.ggml.model"));
            assertEquals(19, f.metadata().size());
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length);
            assertEquals("<unk>", tokens[0]);
            assertEquals("<s>", tokens[1]);
            assertEquals("</s>", tokens[2]);
            assertEquals("<0x00>", tokens[3]);
            assertEquals(512, f.getFloatArray("tokenizer.ggml.scores").length);
            int[] types = f.getIntArray("tokenizer.ggml.token_type");
            assertEquals(512, types.length);
            assertEquals(2, types[0]); // UNKNOWN
            assertEquals(3, types[1]); // CONTROL
            assertEquals(6, types[3]); // BYTE
            assertEquals(GgufValueType.ARRAY, f.metadataType("tokenizer.ggml.tokens"));
            assertEquals(GgufValueType.STRING, f.metadataElementType("tokenizer.ggml.tokens"));
            assertEquals(GgufValueType.FLOAT32, f.metadataElementType("tokenizer.ggml.scores"));
            assertEquals(GgufValueType.INT32, f.metadataElementType("tokenizer.ggml.token_type"));
            assertNull(f.metadataElementType("general.architecture"));
            assertEquals(0, f.getInt("tokenizer.ggml.unknown_token_id"));
            assertEquals(1, f.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(2, f.getInt("tokenizer.ggml.eos_token_id"));
            assertEquals(4294967295L, f.getLong("tokenizer.ggml.padding_token_id")); // UINT32 -1 stays unsigned
            assertEquals(GgufValueType.UINT32, f.metadataType("llama.context_length"));
            assertEquals(512, f.getInt("llama.context_length"));
            assertEquals(64, f.getInt("llama.embedding_length"));
            assertEquals(172, f.getInt("llama.feed_forward_length"));
            assertEquals(8, f.getInt("llama.attention.head_count"));
            assertEquals(4, f.getInt("llama.attention.head_count_kv"));
            assertEquals(5, f.getInt("llama.block_count"));
            assertEquals(8, f.getInt("llama.rope.dimension_count"));
            assertEquals(1e-5f, f.getFloat("llama.attention.layer_norm_rms_epsilon", 0), 1e-12);
            assertFalse(f.has("general.alignment"));
            assertThrows(GgufException.class, () -> f.getString("llama.block_count"));
            assertThrows(GgufException.class, () -> f.getString("no.such.key"));
        }
    }

    @Test
    void stories260KTensors() throws Exception {
        Path path = MODELS.resolve("stories260K.gguf");
        try (GgufFile f = GgufFile.open(path)) {
            assertEquals(48, f.tensorInfos().size());
            List<String> names = new ArrayList<>(f.tensorInfos().keySet());
            assertEquals(List.of("token_embd.weight", "output_norm.weight", "output.weight", "blk.0.attn_q.weight"), names.subList(0, 4));
            assertEquals("blk.4.ffn_norm.weight", names.getLast());
            for (int l = 0; l < 5; l++) {
                for (String t : List.of("attn_q", "attn_k", "attn_v", "attn_output", "attn_norm", "ffn_gate", "ffn_down", "ffn_up", "ffn_norm")) {
                    assertTrue(f.hasTensor("blk." + l + "." + t + ".weight"), t);
                }
            }
            GgufTensorInfo embd = f.tensorInfos().get("token_embd.weight");
            assertArrayEquals(new long[]{64, 512}, embd.shape());
            assertEquals(TensorType.F32, embd.type());
            assertEquals(0, embd.offset());
            assertEquals(64 * 512 * 4, embd.byteSize());
            assertArrayEquals(new long[]{64, 32}, f.tensorInfos().get("blk.0.attn_k.weight").shape());
            assertArrayEquals(new long[]{172, 64}, f.tensorInfos().get("blk.0.ffn_down.weight").shape());
            assertArrayEquals(new long[]{64}, f.tensorInfos().get("output_norm.weight").shape());
            // Header ends at 14152; data starts at the next multiple of 32, and the last tensor
            // (256 bytes at offset 1170944) ends exactly at the end of the file.
            assertEquals(14176, f.dataOffset());
            GgufTensorInfo last = f.tensorInfos().get("blk.4.ffn_norm.weight");
            assertEquals(Files.size(path), f.dataOffset() + last.offset() + last.byteSize());
            for (GgufTensorInfo t : f.tensorInfos().values()) assertEquals(0, t.offset() % 32, t.name());

            Tensor t = f.tensor("token_embd.weight");
            assertEquals(512, t.rows());
            assertEquals(64, t.cols());
            float first = t.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            float expected = java.nio.ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN).getFloat(14176);
            assertEquals(expected, first);
            assertThrows(GgufException.class, () -> f.tensor("nope.weight"));
        }
    }

    @Test
    void stories260KQ8_0() {
        try (GgufFile f = GgufFile.open(MODELS.resolve("stories260K-Q8_0.gguf"))) {
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals(48, f.tensorInfos().size());
            GgufTensorInfo q = f.tensorInfos().get("blk.0.attn_q.weight");
            assertEquals(TensorType.Q8_0, q.type());
            assertEquals(64 * 64 / 32 * 34, q.byteSize());
            assertEquals(TensorType.F32, f.tensorInfos().get("blk.0.attn_norm.weight").type());
            // ffn_down rows are 172 long, not a multiple of 32: llama-quantize had to pick another type.
            assertTrue(f.tensorInfos().get("blk.0.ffn_down.weight").type() != TensorType.Q8_0);
        }
    }
}
