package dev.ember.engine.chat;

import dev.ember.engine.api.ChatMessage;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.util.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real chat templates (Qwen3, Qwen2.5, QwQ, Llama 3.1/3.2, Mistral, Gemma 2, Phi-3.5, DeepSeek,
 * SmolLM3, Granite, gpt-oss) must render exactly what transformers' apply_chat_template renders
 * (fixtures/chat_templates, made by tools/fixtures/make_chat_template_fixtures.py), and fail
 * where it fails.
 */
class ChatTemplateFixturesTest {
    static final Path DIR = Path.of(System.getProperty("ember.repo.dir", "..")).resolve("engine/src/test/resources/fixtures/chat_templates");

    @SuppressWarnings("unchecked")
    static Map<String, Object> fixture(Path file) {
        try {
            return (Map<String, Object>) Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatTemplate template(Map<String, Object> fx, String source) {
        ZonedDateTime now = LocalDateTime.parse((String) fx.get("now")).atZone(ZoneOffset.UTC);
        return new ChatTemplate(source, (String) fx.get("bos_token"), (String) fx.get("eos_token"), () -> now);
    }

    @SuppressWarnings("unchecked")
    static int check(Map<String, Object> fx, ChatTemplate t) {
        int n = 0;
        for (Object o : (List<Object>) fx.get("cases")) {
            Map<String, Object> c = (Map<String, Object>) o;
            List<ChatMessage> messages = new ArrayList<>();
            for (Object m : (List<Object>) c.get("messages")) {
                Map<String, Object> msg = (Map<String, Object>) m;
                messages.add(new ChatMessage((String) msg.get("role"), (String) msg.get("content")));
            }
            boolean gen = (Boolean) c.get("add_generation_prompt");
            Map<String, Object> vars = (Map<String, Object>) c.get("variables");
            String what = fx.get("name") + " " + messages.stream().map(ChatMessage::role).toList() + " gen=" + gen + " " + vars;
            if (c.containsKey("expected")) {
                assertEquals(c.get("expected"), t.render(messages, gen, vars), what);
            } else {
                String error = (String) c.get("error");
                ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(messages, gen, vars), what + " should fail: " + error);
                if (e.getMessage().startsWith("the chat template refused")) assertTrue(e.getMessage().endsWith(error), what + ": " + e.getMessage());
            }
            n++;
        }
        return n;
    }

    @TestFactory
    Stream<DynamicTest> realTemplatesRenderAsTransformersDoes() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".json") && !p.endsWith("snippets.json")).sorted().toList();
        }
        assertTrue(files.size() >= 10, "fixtures missing in " + DIR);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            Map<String, Object> fx = fixture(f);
            assertTrue(check(fx, template(fx, (String) fx.get("template"))) >= 10);
        }));
    }

    /** One feature per template: Python's values, str methods, filters, tests, loops, macros and whitespace rules. */
    @TestFactory
    @SuppressWarnings("unchecked")
    Stream<DynamicTest> pythonSemanticsAsJinja2() {
        Map<String, Object> fx = fixture(DIR.resolve("snippets.json"));
        List<ChatMessage> messages = new ArrayList<>();
        for (Object m : (List<Object>) fx.get("messages")) {
            Map<String, Object> msg = (Map<String, Object>) m;
            messages.add(new ChatMessage((String) msg.get("role"), (String) msg.get("content")));
        }
        ZonedDateTime now = LocalDateTime.parse((String) fx.get("now")).atZone(ZoneOffset.UTC);
        List<Object> cases = (List<Object>) fx.get("cases");
        assertTrue(cases.size() >= 20);
        return cases.stream().map(o -> (Map<String, Object>) o).map(c -> DynamicTest.dynamicTest((String) c.get("template"), () -> {
            ChatTemplate t = new ChatTemplate((String) c.get("template"), "<s>", "</s>", () -> now);
            if (c.containsKey("expected")) {
                assertEquals(c.get("expected"), t.render(messages, true));
            } else {
                ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(messages, true), (String) c.get("error"));
                if (e.getMessage().startsWith("the chat template refused")) assertTrue(e.getMessage().endsWith((String) c.get("error")), e.getMessage());
            }
        }));
    }

    /** The template as the Qwen3 GGUF holds it (read by Ember's GGUF reader), not only the fixture's copy. */
    @Test
    void qwen3FromItsGguf() {
        Path gguf = Path.of(System.getProperty("ember.shared.dir", "../shared")).resolve("vocab/ggml-vocab-qwen3-from-tiktoken.gguf");
        if (!Files.exists(gguf)) gguf = Path.of("../../shared/vocab/ggml-vocab-qwen3-from-tiktoken.gguf");
        Assumptions.assumeTrue(Files.exists(gguf), "shared/vocab/ggml-vocab-qwen3-from-tiktoken.gguf is absent");
        String source;
        try (GgufFile f = GgufFile.open(gguf)) {
            source = (String) f.metadata().get("tokenizer.chat_template");
        }
        Map<String, Object> fx = fixture(DIR.resolve("qwen3.json"));
        assertEquals(fx.get("template"), source);
        assertEquals(20, check(fx, template(fx, source)));
        // The thinking switch, multi-turn history with reasoning stripped, and the generation prompt.
        String s = template(fx, source).render(List.of(ChatMessage.system("S"), ChatMessage.user("Q1"),
                ChatMessage.assistant("<think>\nhidden\n</think>\n\nA1"), ChatMessage.user("Q2")), true, Map.of("enable_thinking", false));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
                + "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", s);
    }
}
