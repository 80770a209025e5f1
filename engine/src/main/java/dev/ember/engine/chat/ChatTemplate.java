package dev.ember.engine.chat;

import dev.ember.engine.api.ChatMessage;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's Jinja chat template (GGUF {@code tokenizer.chat_template}, or tokenizer_config.json's
 * {@code chat_template}), rendered as transformers' {@code apply_chat_template} renders it: jinja2
 * with {@code trim_blocks} and {@code lstrip_blocks}, Python's value semantics and str methods,
 * {@code namespace}, slices with steps, {@code loop} variables, and transformers' additions
 * ({@code raise_exception}, {@code strftime_now}, {@code tojson} as {@code json.dumps}). The
 * variables are {@code messages}, {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token}, {@code tools} and {@code documents} (both None), and any extra ones given
 * (such as {@code enable_thinking}).
 *
 * <p>Templates come with model files from anywhere, so this is a small interpreter of its own
 * ({@link Lexer}, {@link Parser}, {@link Interpreter}) rather than a general template engine:
 * templates see only plain values (no Java objects, no reflection), cannot load files
 * (include/import/extends are refused when parsing), and run under limits on steps, output,
 * string and list sizes and recursion. Going over a limit fails the render; a truncated prompt
 * never reaches the model. A template that calls {@code raise_exception(msg)} fails with that
 * message.
 */
public final class ChatTemplate {
    /** Most characters a rendered prompt (or any string built while rendering) may have. */
    static final long MAX_OUTPUT = 1 << 20;

    private final List<Node.Stmt> program;
    private final String bosToken;
    private final String eosToken;
    private final Map<String, Object> globals;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this(source, bosToken, eosToken, ZonedDateTime::now);
    }

    /** With the clock {@code strftime_now} reads (tests pin it). */
    ChatTemplate(String source, String bosToken, String eosToken, Supplier<ZonedDateTime> clock) {
        if (source == null || source.isBlank()) throw new ChatTemplateException("the model has no chat template (tokenizer.chat_template)");
        this.program = parse(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.globals = Builtins.globals(clock);
    }

    private static List<Node.Stmt> parse(String source) {
        try {
            return Parser.parse(source);
        } catch (StackOverflowError e) {
            throw new ChatTemplateException("chat template syntax error: the template nests too deeply");
        }
    }

    /** The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's reply starts. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * As {@link #render(List, boolean)}, with extra template variables, as transformers passes
     * {@code apply_chat_template}'s keyword arguments (for example {@code enable_thinking=false}
     * for Qwen3). Values may be null, Boolean, Number, String, List and Map of those.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        if (messages == null || messages.isEmpty()) throw new ChatTemplateException("no messages to render");
        List<Object> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<Object, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role());
            msg.put("content", m.content());
            list.add(msg);
        }
        Map<String, Object> context = new HashMap<>();
        for (Map.Entry<String, ?> e : variables.entrySet()) context.put(e.getKey(), value(e.getValue(), 0));
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.putIfAbsent("tools", null);
        context.putIfAbsent("documents", null);
        try {
            return new Interpreter(globals, MAX_OUTPUT).render(program, context);
        } catch (StackOverflowError e) {
            throw new ChatTemplateException("chat template error: the template recursed too deeply");
        }
    }

    /** A Java value as a template value. */
    private static Object value(Object v, int depth) {
        if (depth > 32) throw new IllegalArgumentException("chat template variables nest too deeply");
        return switch (v) {
            case null -> null;
            case Boolean b -> b;
            case String s -> s;
            case Double d -> d;
            case Float f -> (double) f;
            case Number n -> n.longValue();
            case List<?> l -> {
                List<Object> out = new ArrayList<>();
                for (Object o : l) out.add(value(o, depth + 1));
                yield out;
            }
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put(value(k, depth + 1), value(x, depth + 1)));
                yield out;
            }
            default -> throw new IllegalArgumentException("a chat template variable cannot be a " + v.getClass().getSimpleName());
        };
    }
}
