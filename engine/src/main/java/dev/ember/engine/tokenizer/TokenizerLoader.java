package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;

/** Reads tokenizer.ggml.* metadata and builds the matching tokenizer. */
final class TokenizerLoader {
    private TokenizerLoader() {}

    static Tokenizer fromGguf(GgufFile gguf) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
