package dev.ember.engine.tokenizer;

/**
 * One splitting pass of a pre-tokenizer. Stages run in sequence; each refines the pieces the
 * previous one produced and never merges across their boundaries.
 */
interface SplitStage {
    /** Appends the lengths (in code points) of the sub-pieces covering [start, end) of text. */
    void split(SplitText text, int start, int end, IntList out);
}
