package dev.ember.engine.chat;

import dev.ember.engine.api.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ChatTemplateTest {
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final String LLAMA3 = "{{ bos_token }}{% for message in messages %}"
            + "{% if loop.index0 == 0 and message['role'] == 'assistant' %}{{ raise_exception('Conversations must start with a user or system message') }}{% endif %}"
            + "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    @Test
    void rendersChatMl() {
        ChatTemplate t = new ChatTemplate(CHATML, "", "<|im_end|>");
        String s = t.render(List.of(ChatMessage.system("You are terse."), ChatMessage.user("Hi!")), true);
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", s);
        assertFalse(t.render(List.of(ChatMessage.user("Hi!")), false).contains("assistant"));
    }

    @Test
    void rendersLlama3StyleWithBosAndRaisesTheTemplatesOwnError() {
        ChatTemplate t = new ChatTemplate(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        String s = t.render(List.of(ChatMessage.user("  What is 2+2?  ")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", s);
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(List.of(ChatMessage.assistant("hello")), true));
        assertTrue(e.getMessage().contains("Conversations must start with a user or system message"), e.getMessage());
    }

    @Test
    void hostileTemplatesFailClearly() {
        List<ChatMessage> hi = List.of(ChatMessage.user("hi"));
        // No file system: includes and imports cannot read anything.
        for (String tpl : List.of("{% include '/etc/passwd' %}", "{% import '/etc/hostname' as x %}{{ x }}", "{% from 'pom.xml' import y %}")) {
            String out;
            try {
                out = new ChatTemplate(tpl, "", "").render(hi, true);
            } catch (ChatTemplateException e) {
                continue;
            }
            assertFalse(out.contains("root:") || out.contains("<project"), "template read a file: " + tpl);
        }
        // Runaway loops, output, sizes and recursion stop at the limits, with an error rather than a truncated prompt.
        for (String tpl : List.of("{% for i in range(100000000) %}x{% endfor %}",
                "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}",
                "{{ 'x' * 1000000000 }}",
                "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
                "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}",
                "{% if true %}".repeat(5000),
                "{{ 2 ** 200 }}",
                "{{ '%99999000000d'|format(4) }}", "{{ '%.99999000000f'|format(1.5) }}", "{{ '%-2000000s'|format('a') }}",
                "{{ '%c'|format(-4) }}", "{{ '%c'|format(1114112) }}")) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> new ChatTemplate(tpl, "", "").render(hi, true), tpl.substring(0, Math.min(40, tpl.length())));
            assertTrue(e.getMessage().startsWith("chat template") || e.getMessage().startsWith("the chat template"), e.getMessage());
        }
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate(
                "{% for i in range(9000) %}{% for j in range(9000) %}xxxxxxxxxx{% endfor %}{% endfor %}", "", "").render(hi, true));
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate(
                "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "", "").render(hi, true));
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate("{% for x in %}", "", "").render(hi, true));
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate("", "", ""));
    }

    @Test
    void templatesSeeOnlyPlainValuesNeverJavaObjects() {
        List<ChatMessage> hi = List.of(ChatMessage.user("hi"));
        // The classic jinja2 escapes, and Java's: attributes that are not a Python method of the
        // value's type are undefined, so nothing reaches a class, a module or a file.
        for (String tpl : List.of("{{ ''.__class__.__mro__ }}", "{{ messages.__class__ }}", "{{ ''.getClass() }}",
                "{{ messages.getClass().forName('java.lang.Runtime') }}", "{{ range.__globals__ }}", "{{ namespace.__init__ }}",
                "{{ raise_exception.__self__ }}", "{{ loop }}", "{{ self }}", "{{ config }}", "{{ cycler }}", "{{ lipsum() }}",
                "{{ messages[0].content.class }}", "{{ messages.toString() }}", "{{ ''.format.__globals__ }}")) {
            String out;
            try {
                out = new ChatTemplate(tpl, "", "").render(hi, true);
            } catch (ChatTemplateException e) {
                continue;
            }
            assertEquals("", out, tpl);
        }
        // Templates cannot change their inputs either (jinja2's immutable sandbox).
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate("{% set x = messages.append(1) %}", "", "").render(hi, true));
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate("{{ messages[0].update({'role': 'x'}) }}", "", "").render(hi, true));
    }

    @Test
    void extraVariablesReachTheTemplate() {
        ChatTemplate t = new ChatTemplate("{% if enable_thinking is defined and enable_thinking is false %}no-think{% endif %}{{ tools is none }}{{ n + 1 }}", "", "");
        assertEquals("no-thinkTrue3", t.render(List.of(ChatMessage.user("hi")), true, java.util.Map.of("enable_thinking", false, "n", 2)));
        assertEquals("True", new ChatTemplate("{% if enable_thinking is defined %}x{% endif %}{{ tools is none }}", "", "").render(List.of(ChatMessage.user("hi")), true));
    }

    @Test
    void engineRendersTheCheckpointsTemplateAndTokenizesItsSpecialTokens() {
        java.nio.file.Path model = java.nio.file.Path.of(System.getProperty("ember.repo.dir", "..")).resolve("engine/src/test/resources/fixtures/qwen2/model");
        try (dev.ember.engine.api.Engine e = dev.ember.engine.api.Engine.open(model, dev.ember.engine.api.EngineOptions.defaults().withThreads(1))) {
            String prompt = e.applyChatTemplate(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello")), true);
            assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", prompt);
            int[] ids = e.tokenize(prompt);
            assertTrue(ids.length < prompt.length() / 2, "special tokens are single ids, not spelled out: " + ids.length);
        }
    }
}
