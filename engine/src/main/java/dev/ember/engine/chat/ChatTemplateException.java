package dev.ember.engine.chat;

/** A chat template that cannot be rendered: a syntax error, a raised error, or a limit hit. */
public class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) { super(message); }
    public ChatTemplateException(String message, Throwable cause) { super(message, cause); }
}
