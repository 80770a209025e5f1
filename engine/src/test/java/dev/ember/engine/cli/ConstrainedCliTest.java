package dev.ember.engine.cli;

import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.ember.engine.cli.GenerateCliTest.runJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `ember generate` with --json-schema, --regex, --choice and --grammar, as a user runs it. */
class ConstrainedCliTest {
    static final String MODEL = SharedFiles.model("stories260K.gguf").toString();
    static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":10},"
            + "\"age\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":99}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}";

    @Test
    void jsonSchemaOutputKeepsTheKeysAndValidates(@TempDir Path dir) throws Exception {
        Path schema = Files.writeString(dir.resolve("s.json"), SCHEMA);
        for (int seed = 0; seed < 4; seed++) {
            Map<String, Object> o = runJson("generate", "--model", MODEL, "--prompt", "Once upon a time", "--json-schema", schema.toString(),
                    "--temperature", "1", "--seed", String.valueOf(seed), "--max-tokens", "200", "--threads", "2", "--json");
            assertTrue(o.keySet().containsAll(List.of("text", "token_ids", "prompt_token_ids", "finish_reason", "prompt_tokens", "completion_tokens")), o.keySet().toString());
            assertEquals("stop", o.get("finish_reason"));
            assertFalse(o.containsKey("error"));
            var errors = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(SCHEMA)
                    .validate((String) o.get("text"), InputFormat.JSON);
            assertTrue(errors.isEmpty(), o.get("text") + " " + errors);
        }
    }

    @Test
    void aCutOutputIsLengthWithAnError(@TempDir Path dir) throws Exception {
        Path schema = Files.writeString(dir.resolve("s.json"), SCHEMA);
        Map<String, Object> o = runJson("generate", "--model", MODEL, "--prompt", "Once upon a time", "--json-schema", schema.toString(),
                "--max-tokens", "2", "--threads", "2", "--json");
        assertEquals("length", o.get("finish_reason"));
        assertTrue(((String) o.get("error")).contains("incomplete"), String.valueOf(o.get("error")));
        assertEquals(2, ((List<?>) o.get("token_ids")).size());
    }

    @Test
    void regexChoiceAndGrammar(@TempDir Path dir) throws Exception {
        Map<String, Object> r = runJson("generate", "--model", MODEL, "--prompt", "Once", "--regex", "[A-Z][a-z]{2,5} (is|was) \\d{1,2}",
                "--temperature", "1", "--threads", "2", "--json");
        assertTrue(((String) r.get("text")).matches("[A-Z][a-z]{2,5} (is|was) \\d{1,2}"), (String) r.get("text"));
        Map<String, Object> c = runJson("generate", "--model", MODEL, "--prompt", "Once", "--choice", "happy", "--choice", "sad",
                "--temperature", "1", "--threads", "2", "--json");
        assertTrue(List.of("happy", "sad").contains(c.get("text")), (String) c.get("text"));
        assertEquals("stop", c.get("finish_reason"));
        Path g = Files.writeString(dir.resolve("g.gbnf"), "root ::= greeting \" \" name\ngreeting ::= \"hi\" | \"hello\"\nname ::= [a-z]{1,6}\n");
        Map<String, Object> gr = runJson("generate", "--model", MODEL, "--prompt", "Once", "--grammar", g.toString(),
                "--temperature", "1", "--threads", "2", "--json");
        assertTrue(((String) gr.get("text")).matches("(hi|hello) [a-z]{1,6}"), (String) gr.get("text"));
    }

    @Test
    void badConstraintsGiveOneClearLine(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, Main.run(new String[]{"generate", "--model", MODEL, "--prompt", "x", "--regex", "a", "--choice", "b"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("at most one of"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"type\":\"string\",\"contentMediaType\":\"text/html\"}");
        assertEquals(1, Main.run(new String[]{"generate", "--model", MODEL, "--prompt", "x", "--json-schema", bad.toString()}, o, e));
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.contains("unsupported JSON Schema keyword 'contentMediaType'"), msg);
        assertFalse(msg.contains("\tat "), "no stack trace: " + msg);
        err.reset();
        assertEquals(2, Main.run(new String[]{"generate", "--model", MODEL, "--prompt", "x", "--grammar", dir.resolve("missing.gbnf").toString()}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("cannot read --grammar file"), err.toString(StandardCharsets.UTF_8));
    }
}
