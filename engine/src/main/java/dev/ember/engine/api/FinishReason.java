package dev.ember.engine.api;

/** Why a request stopped producing tokens. {@link #wireName()} is the lower-case name used in JSON and Spark columns. */
public enum FinishReason {
    /** An end-of-generation token, a stop token or a stop string was produced. */
    STOP,
    /** max_tokens was reached, or the context is full. */
    LENGTH,
    /** The request failed; {@link Result#error()} says why. */
    ERROR;

    public String wireName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
