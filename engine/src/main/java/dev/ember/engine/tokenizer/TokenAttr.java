package dev.ember.engine.tokenizer;

/**
 * Per-token attribute bits. They are a bit set rather than an enum because llama.cpp's loader
 * layers them: a user-defined token can also become CONTROL (when its text is a known
 * end-of-turn marker), and special tokens can carry LSTRIP/RSTRIP on top of their type.
 */
final class TokenAttr {
    private TokenAttr() {}

    static final int UNDEFINED = 0;
    static final int UNKNOWN = 1 << 0;
    static final int UNUSED = 1 << 1;
    static final int NORMAL = 1 << 2;
    static final int CONTROL = 1 << 3;
    static final int USER_DEFINED = 1 << 4;
    static final int BYTE = 1 << 5;
    /** Whitespace to the left of this special token is eaten when text is split around it. */
    static final int LSTRIP = 1 << 7;
    /** Whitespace to the right of this special token is eaten when text is split around it. */
    static final int RSTRIP = 1 << 8;

    /** Tokens that {@code parseSpecial=false} leaves as plain text, and that decode to nothing. */
    static final int HIDDEN = CONTROL | UNKNOWN;

    /** Maps {@code tokenizer.ggml.token_type} values (SentencePiece's piece types) to attributes. */
    static int fromGgufType(long type) {
        return switch ((int) type) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
