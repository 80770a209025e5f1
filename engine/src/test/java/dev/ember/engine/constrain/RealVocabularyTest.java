package dev.ember.engine.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import dev.ember.engine.api.Constraint;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.sample.SequenceSampler;
import dev.ember.engine.testing.SharedFiles;
import dev.ember.engine.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real vocabularies: Qwen3's 151k byte-level BPE (tokens that are a piece of a UTF-8 character,
 * several characters, or end inside one) and Llama's SentencePiece with byte fallback. Random
 * logits sampled at temperature 1 through the masks must give outputs whose bytes are valid UTF-8,
 * whose multi-byte strings and const values come back exactly, and which the validator accepts.
 */
class RealVocabularyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CONST = "café ☕ 日本語 🎉 Ünïcødé";
    static final List<String> SCHEMAS = List.of(
            "{\"type\":\"object\",\"properties\":{\"c\":{\"const\":\"" + CONST + "\"},\"e\":{\"enum\":[\"naïve\",\"中文\",\"🙂🙃\"]}},"
                    + "\"required\":[\"c\",\"e\"],\"additionalProperties\":false}",
            "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":6,\"pattern\":\"^[日本語中文éü☕🎉]+$\"}},\"required\":[\"s\"]}"
                    .replace(",\"minLength\":2,\"maxLength\":6", ""),
            "{\"type\":\"object\",\"properties\":{\"free\":{\"type\":\"string\",\"maxLength\":12},\"n\":{\"type\":\"integer\",\"minimum\":-5,\"maximum\":500}},"
                    + "\"required\":[\"free\",\"n\"]}");

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-qwen3-from-tiktoken.gguf", "ggml-vocab-llama-spm.gguf"})
    void multiByteStringsAndConstsRoundTrip(String file) throws Exception {
        Tokenizer tok;
        try (GgufFile g = GgufFile.open(SharedFiles.dir().resolve("vocab").resolve(file))) {
            tok = Tokenizer.fromGguf(g);
        }
        TokenVocabulary vocab = TokenVocabulary.of(tok, tok.vocabSize());
        int partialTokens = 0, samples = 0;
        Random noise = new Random(1);
        float[] gaussians = new float[vocab.size() + 4096];
        for (int i = 0; i < gaussians.length; i++) gaussians[i] = (float) (noise.nextGaussian() * 4);
        for (String schema : SCHEMAS) {
            var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(schema, SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
            CompiledConstraint cc = CompiledConstraint.compile(new Constraint.JsonSchema(schema), vocab, true);
            for (int seed = 0; seed < 12; seed++) {
                Random r = new Random(seed);
                ConstraintCursor cursor = cc.start();
                SequenceSampler sampler = new SequenceSampler(SamplingParams.builder().temperature(1f).seed(seed).build(),
                        vocab.size(), new int[0], cursor);
                float[] logits = new float[vocab.size()];
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                boolean done = false;
                for (int step = 0; step < 400 && !done; step++) {
                    System.arraycopy(gaussians, r.nextInt(4096), logits, 0, logits.length);   // a fresh random row per step
                    int t = sampler.next(logits, 0);
                    if (tok.isEndOfGeneration(t)) {
                        assertTrue(cursor.accepting(), "EOS only where the output is complete");
                        done = true;
                        continue;
                    }
                    byte[] b = tok.tokenBytes(t);
                    if (!validUtf8(b)) partialTokens++;
                    out.write(b);
                    cursor.advance(t);
                    done = cursor.complete();
                }
                assertTrue(done, file + ": no end after 400 tokens: " + out.toString(StandardCharsets.UTF_8));
                samples++;
                byte[] bytes = out.toByteArray();
                assertTrue(validUtf8(bytes), "output bytes are valid UTF-8");
                String text = new String(bytes, StandardCharsets.UTF_8);
                JsonNode node = JSON.readTree(text);
                var errors = validator.validate(text, InputFormat.JSON);
                if (!errors.isEmpty()) fail(file + ": " + text + " -> " + errors);
                if (node.has("c")) assertEquals(CONST, node.get("c").asText(), "const round-trips");
                assertEquals(text, new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
            }
            System.out.printf("%s: %d states, %d masks cached (%.1f MiB), compiled in %.1f ms%n", file, cc.states(), cc.cachedMasks(),
                    cc.cacheBytes() / 1048576.0, cc.compileNanos() / 1e6);
        }
        assertEquals(36, samples);
        assertTrue(partialTokens > 0, file + ": some sampled tokens end inside a UTF-8 character (byte tokens), so that case is exercised");
    }

    private static boolean validUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
