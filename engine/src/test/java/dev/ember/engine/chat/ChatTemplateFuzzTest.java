package dev.ember.engine.chat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.engine.api.ChatMessage;
import dev.ember.engine.testing.Fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the chat-template sandbox: {@code template NUL message NUL message …}. The messages take
 * the roles system, user, assistant, user, … in turn. Rendering either returns a prompt within the
 * output limit or fails with a ChatTemplateException; nothing may read files, run long, or escape
 * as another exception (see {@link Fuzz}).
 */
class ChatTemplateFuzzTest {
    private static final String[] ROLES = {"system", "user", "assistant", "user", "assistant"};

    @FuzzTest(maxDuration = "20s")
    void render(byte[] data) {
        List<byte[]> parts = Fuzz.split(data, 1 + ROLES.length);
        String source = new String(parts.get(0), StandardCharsets.UTF_8);
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 1; i < parts.size(); i++) messages.add(new ChatMessage(ROLES[i - 1], new String(parts.get(i), StandardCharsets.UTF_8)));
        if (messages.isEmpty()) messages.add(ChatMessage.user("Hello"));
        try {
            ChatTemplate t = new ChatTemplate(source, "<s>", "</s>");
            for (boolean generation : new boolean[]{true, false}) {
                String out = t.render(messages, generation);
                assertTrue(out.length() <= ChatTemplate.MAX_OUTPUT, "output of " + out.length() + " characters passed the limit");
            }
        } catch (ChatTemplateException e) {
            Fuzz.expectUserError(e, ChatTemplateException.class);
        }
    }
}
