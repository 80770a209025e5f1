package dev.ember.engine.tokenizer;

/**
 * A piece of the input after special-token splitting: either raw text [start, end) of the input,
 * still to be tokenized, or a special token already resolved to its id.
 */
record Fragment(int start, int end, int token) {
    static Fragment text(int start, int end) { return new Fragment(start, end, -1); }

    static Fragment special(int token) { return new Fragment(-1, -1, token); }

    boolean isText() { return token < 0; }
}
