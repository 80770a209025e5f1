package dev.ember.engine.constrain;

import dev.ember.engine.sample.TokenMask;

/**
 * Where one request's output is in its constraint's automaton. The sampler reads the current
 * state's cached mask; the request advances the cursor by each token it keeps. Not thread-safe; one
 * per request.
 */
public final class ConstraintCursor implements TokenMask {
    private final CompiledConstraint compiled;
    private int state;

    ConstraintCursor(CompiledConstraint compiled, int start) {
        this.compiled = compiled;
        this.state = start;
    }

    @Override
    public long[] allowedTokens() { return compiled.mask(state); }

    /** True when no token at all is allowed here (the vocabulary cannot write any continuation). */
    public boolean stuck() {
        for (long w : compiled.mask(state)) if (w != 0) return false;
        return true;
    }

    /**
     * Moves past a generated token.
     *
     * @throws IllegalStateException if the constraint does not allow the token here (a sampler bug)
     */
    public void advance(int token) {
        int s = compiled.advance(state, token);
        if (s == ByteDfa.DEAD) {
            throw new IllegalStateException("token " + token + " is not allowed by the " + compiled.source().kind() + " here");
        }
        state = s;
    }

    /** Whether {@code token} ends generation (allowed only where {@link #accepting()}). */
    public boolean isEndOfGeneration(int token) { return compiled.vocabulary().isEndOfGeneration(token); }

    /** Whether the output so far satisfies the constraint. */
    public boolean accepting() { return compiled.accepting(state); }

    /** Whether the output is complete: it satisfies the constraint and nothing may follow. */
    public boolean complete() { return compiled.terminal(state); }

    public CompiledConstraint compiled() { return compiled; }
}
