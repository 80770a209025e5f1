package dev.ember.engine.api;

/** One message of a conversation: a role (system, user, assistant, …) and its text. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || role.isBlank()) throw new IllegalArgumentException("a chat message needs a role");
        if (content == null) throw new IllegalArgumentException("a chat message needs content (role " + role + ")");
    }

    public static ChatMessage system(String content) { return new ChatMessage("system", content); }
    public static ChatMessage user(String content) { return new ChatMessage("user", content); }
    public static ChatMessage assistant(String content) { return new ChatMessage("assistant", content); }
}
