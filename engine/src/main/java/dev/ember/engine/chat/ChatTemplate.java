package dev.ember.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceLocator;
import dev.ember.engine.api.ChatMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's Jinja chat template (GGUF {@code tokenizer.chat_template}, or tokenizer_config.json's
 * {@code chat_template}), rendered with Jinjava under limits, because templates come with model
 * files from anywhere: no file system or network (includes and imports fail), bounded render and
 * macro recursion depth, output size, string length, list size and {@code range}. A template that
 * calls {@code raise_exception(msg)} (as Hugging Face templates do for bad role orders) fails
 * with that message.
 */
public final class ChatTemplate {
    /** Most characters a rendered prompt may have. */
    static final long MAX_OUTPUT = 1 << 20;

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        if (source == null || source.isBlank()) throw new ChatTemplateException("the model has no chat template (tokenizer.chat_template)");
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withMaxRenderDepth(8)
                .withMaxMacroRecursionDepth(8)
                .withMaxOutputSize(MAX_OUTPUT)
                .withMaxStringLength(MAX_OUTPUT)
                .withMaxListSize(10_000)
                .withMaxMapSize(10_000)
                .withRangeLimit(10_000)
                .withFailOnUnknownTokens(false)
                .build();
        this.jinjava = new Jinjava(config);
        // No template may read anything: the default locator would serve any class-path resource.
        jinjava.setResourceLocator(refuseAll());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raise", String.class));
    }

    private static ResourceLocator refuseAll() {
        return (fullName, encoding, interpreter) -> {
            throw new java.io.IOException("chat templates may not load '" + fullName + "'");
        };
    }

    /** Called by templates as raise_exception(message). */
    public static String raise(String message) {
        throw new ChatTemplateException("the chat template refused the messages: " + message);
    }

    /** The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's reply starts. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (messages == null || messages.isEmpty()) throw new ChatTemplateException("no messages to render");
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage m : messages) list.add(Map.of("role", m.role(), "content", m.content()));
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, context);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof ChatTemplateException)) cause = cause.getCause();
            if (cause instanceof ChatTemplateException c) throw c;
            throw new ChatTemplateException("chat template failed: " + e, e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getException() != null) {
                Throwable cause = error.getException();
                while (cause.getCause() != null && !(cause instanceof ChatTemplateException)) cause = cause.getCause();
                if (cause instanceof ChatTemplateException c) throw c;
            }
            // Fatal errors, and limits (recursion, output, collection size) that Jinjava reports
            // as warnings with partial output: a truncated prompt must never reach the model.
            boolean limit = error.getReason() == TemplateError.ErrorReason.EXCEPTION
                    || error.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG
                    || error.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG
                    || error.getReason() == TemplateError.ErrorReason.OVER_LIMIT;
            if (error.getSeverity() == TemplateError.ErrorType.FATAL || limit) {
                throw new ChatTemplateException("chat template error: " + error.getMessage()
                        + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""));
            }
        }
        return result.getOutput();
    }
}
