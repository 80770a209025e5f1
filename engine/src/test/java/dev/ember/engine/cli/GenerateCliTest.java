package dev.ember.engine.cli;

import dev.ember.engine.testing.SharedFiles;
import dev.ember.engine.util.Json;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `ember generate --json` as a user runs it, against the reference greedy outputs. */
class GenerateCliTest {

    static Map<String, Object> runJson(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, () -> "stderr: " + err.toString(StandardCharsets.UTF_8));
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        @SuppressWarnings("unchecked")
        Map<String, Object> o = (Map<String, Object>) Json.parse(lines[lines.length - 1]);
        return o;
    }

    @Test
    @SuppressWarnings("unchecked")
    void greedyJsonMatchesTheReferenceForEveryCase() throws Exception {
        Path model = SharedFiles.model("stories260K.gguf");
        Map<String, Object> ref = (Map<String, Object>) Json.parse(Files.readString(SharedFiles.model("stories260K.greedy.json")));
        for (Map<String, Object> c : (List<Map<String, Object>>) ref.get("cases")) {
            List<Object> expected = (List<Object>) c.get("generated_token_ids");
            Map<String, Object> o = runJson("generate", "--model", model.toString(), "--prompt", (String) c.get("prompt"),
                    "--max-tokens", String.valueOf(expected.size()), "--temperature", "0", "--threads", "2", "--json");
            assertEquals(c.get("prompt_token_ids"), o.get("prompt_token_ids"), "prompt tokens of " + c.get("prompt"));
            assertEquals(expected, o.get("token_ids"), "generated tokens of " + c.get("prompt"));
            assertEquals("length", o.get("finish_reason"));
            String text = (String) c.get("text");
            assertEquals(text, c.get("prompt") + (String) o.get("text"), "text of " + c.get("prompt"));
        }
    }

    @Test
    void q8ZeroAgreesWithLlamaCppOnTheFirstSentenceAtLeast() throws Exception {
        String llamaCpp = Files.readString(SharedFiles.model("stories260K-Q8_0.llamacpp-greedy.txt")).strip();
        int[] theirs;
        try (var lm = dev.ember.engine.runtime.LoadedModel.open(SharedFiles.model("stories260K-Q8_0.gguf"), 1)) {
            theirs = lm.tokenizer().encode(llamaCpp, true, false);
        }
        Map<String, Object> o = runJson("generate", "--model", SharedFiles.model("stories260K-Q8_0.gguf").toString(),
                "--prompt", "Once upon a time", "--max-tokens", String.valueOf(theirs.length - 5), "--temperature", "0", "--threads", "2", "--json");
        String ours = "Once upon a time" + o.get("text");
        int agree = 0;
        while (agree < Math.min(ours.length(), llamaCpp.length()) && ours.charAt(agree) == llamaCpp.charAt(agree)) agree++;
        @SuppressWarnings("unchecked")
        List<Object> generated = (List<Object>) o.get("token_ids");
        @SuppressWarnings("unchecked")
        List<Object> promptIds = (List<Object>) o.get("prompt_token_ids");
        int tokensAgree = 0;
        for (int i = promptIds.size(); i < theirs.length && i - promptIds.size() < generated.size()
                && ((Number) generated.get(i - promptIds.size())).intValue() == theirs[i]; i++) tokensAgree++;
        System.out.printf("stories260K-Q8_0: %d leading generated tokens (%d characters) agree with llama.cpp's text%n", tokensAgree, agree);
        // llama.cpp quantizes activations to 8 bits for Q8_0 weights, Ember keeps them in F32, so
        // the texts may part; the first sentence is robust to that.
        assertTrue(agree >= "Once upon a time, there was a little girl named Lily.".length(), "agree=" + agree);
    }

    @Test
    void badArgumentsGiveClearErrors() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, Main.run(new String[]{"generate", "--prompt", "x"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("missing required option --model"));
        err.reset();
        assertEquals(1, Main.run(new String[]{"generate", "--model", "/nonexistent.gguf", "--prompt", "x"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("/nonexistent.gguf: no such file"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, Main.run(new String[]{"generate", "--model", "m", "--prompt", "x", "--tempreature", "0"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option --tempreature"));
        err.reset();
        assertEquals(2, Main.run(new String[]{"nonsense"}, o, e));
    }
}
